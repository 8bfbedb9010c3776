const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

/** The chat page of the Iris example: title and host, a message list, a text box and a Send button. */
export function renderChatPage(host: string): string {
  const safeHost = escapeHtml(host);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>ws-rooms chat</title>
  <style>
    body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 48rem; }
    #status { font-size: .9rem; color: #555; }
    #status[data-state="open"] { color: #17702a; }
    #messages { border: 1px solid #ccc; min-height: 12rem; padding: .5rem; list-style: none; overflow-wrap: anywhere; }
    #messages li { padding: .15rem 0; }
  </style>
</head>
<body>
  <h1>ws-rooms chat</h1>
  <p>Host: <span id="host">${safeHost}</span> &middot;
    <span id="status" data-state="connecting">connecting</span> &middot;
    in room: <span id="members">0</span></p>
  <ul id="messages"></ul>
  <form id="chat-form">
    <input id="messageTxt" autocomplete="off" placeholder="Say something" autofocus>
    <button id="sendBtn" type="submit">Send</button>
  </form>
  <script src="/iris-ws.js"></script>
  <script src="/chat.js"></script>
</body>
</html>
`;
}
