// Parses an AsyncAPI document with @asyncapi/parser, in a process of its own: the parser (Spectral,
// AJV and their ~140 packages) is heavy to load through Jest's module registry. Reads the document
// (JSON) on standard input and writes one JSON line on standard output: the diagnostics, and what
// the parser's own model says of the document, for the test to compare with the text.
import parserModule from '@asyncapi/parser';

const { Parser, DiagnosticSeverity } = parserModule;

const SEVERITIES = { 0: 'error', 1: 'warning', 2: 'information', 3: 'hint' };

async function readInput() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function describeModel(document) {
  const channels = document
    .channels()
    .all()
    .map((channel) => ({
      id: channel.id(),
      address: channel.address(),
      servers: channel
        .servers()
        .all()
        .map((server) => server.id()),
      messages: channel
        .messages()
        .all()
        .map((message) => message.id()),
    }));
  const operations = document
    .operations()
    .all()
    .map((operation) => {
      const reply = operation.reply();
      return {
        id: operation.id(),
        action: operation.action(),
        channels: operation
          .channels()
          .all()
          .map((channel) => channel.id()),
        messages: operation
          .messages()
          .all()
          .map((message) => message.id()),
        reply:
          reply === undefined
            ? null
            : reply
                .messages()
                .all()
                .map((message) => message.id()),
      };
    });
  const servers = document
    .servers()
    .all()
    .map((server) => ({
      id: server.id(),
      url: server.url(),
      protocol: server.protocol(),
    }));
  const schemas = {};
  for (const schema of document.components().schemas().all()) {
    const properties = schema.properties() ?? {};
    schemas[schema.id()] = {
      type: schema.type() ?? null,
      required: schema.required() ?? [],
      properties: Object.fromEntries(
        Object.entries(properties).map(([name, property]) => [
          name,
          {
            type: property.type() ?? null,
            minLength: property.minLength() ?? null,
            maxLength: property.maxLength() ?? null,
          },
        ]),
      ),
    };
  }
  return {
    title: document.info().title(),
    version: document.info().version(),
    servers,
    channels,
    operations,
    schemas,
  };
}

const text = await readInput();
const { document, diagnostics } = await new Parser().parse(text);
const out = {
  parsed: document !== undefined,
  diagnostics: diagnostics.map((diagnostic) => ({
    severity: SEVERITIES[diagnostic.severity] ?? String(diagnostic.severity),
    code: String(diagnostic.code),
    message: diagnostic.message,
    path: diagnostic.path.join('/'),
  })),
  errorSeverity: DiagnosticSeverity?.Error ?? 0,
  model: document === undefined ? null : describeModel(document),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
