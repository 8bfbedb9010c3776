// The demo page's script: the modern client when the served script offers it, with the connection
// state and room count shown. User text is only ever inserted with textContent (never innerHTML).
(function () {
  'use strict';
  var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  var url = scheme + location.host + '/my_endpoint';
  var messages = document.getElementById('messages');
  var input = document.getElementById('messageTxt');
  var status = document.getElementById('status');
  var members = document.getElementById('members');

  function show(text) {
    var item = document.createElement('li');
    item.textContent = text;
    messages.appendChild(item);
  }

  function setState(state) {
    status.textContent = state;
    status.setAttribute('data-state', state);
  }

  var client;
  if (window.WsRooms && window.WsRooms.WsRoomsClient) {
    client = new window.WsRooms.WsRoomsClient(url);
    client.onStateChange(setState);
    client.on('chat', function (message) {
      show(String(message));
    });
    client.on('members', function (count) {
      members.textContent = String(count);
    });
    // Rooms live on the server: this demo's server re-joins room1 in its connection hook on every
    // (re)connect, so nothing needs to be re-sent here.
    client.onConnect(function () {
      setState('open');
    });
  } else {
    client = new Ws(url);
    client.OnConnect(function () {
      setState('open');
    });
    client.OnDisconnect(function () {
      setState('closed');
    });
    client.On('chat', function (message) {
      show(message);
    });
    client.On('members', function (count) {
      members.textContent = count;
    });
    client.emit = function (event, value) {
      client.Emit(event, value);
    };
  }
  window.chatClient = client;

  document.getElementById('chat-form').addEventListener('submit', function (event) {
    event.preventDefault();
    if (!input.value) return;
    client.emit('chat', input.value);
    input.value = '';
  });
})();
