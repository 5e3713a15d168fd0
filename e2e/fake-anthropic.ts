// A local stand-in for the Anthropic Messages API (`POST /v1/messages`), answering in
// its wire format, so the e2e run generates AI messages without the internet. It
// checks the key, the version header and the required fields, reads the lead's data
// block from the prompt like a model would and writes a short message naming the
// company; each call is a new take.
import { createServer, Server } from 'node:http';

export const ANTHROPIC_PORT = Number(process.env.FLUX_E2E_ANTHROPIC_PORT ?? 18092);
export const ANTHROPIC_KEY = 'sk-ant-e2e';

let takes = 0;

function answer(system: string, user: string): string {
  const data = /<dados_do_lead>\s*([\s\S]*?)\s*<\/dados_do_lead>/.exec(user);
  const lead = data ? JSON.parse(data[1]) : {};
  const company = lead.nome_fantasia ?? lead.razao_social ?? 'sua empresa';
  const city = lead.cidade ? ` em ${lead.cidade}` : '';
  takes += 1;
  const body = `Olá! Vi que a ${company} atua${city}. Versão ${takes}: posso mostrar em 15 minutos como a Flux ajuda? Abraço`;
  return system.includes('Formato de e-mail') ? `Assunto: Uma ideia para a ${company}\n\n${body}` : body;
}

export function startFakeAnthropic(): Promise<Server> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method !== 'POST' || req.url !== '/v1/messages') {
        res.statusCode = 404;
        res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'Not found' } }));
        return;
      }
      if (req.headers['x-api-key'] !== ANTHROPIC_KEY) {
        res.statusCode = 401;
        res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }));
        return;
      }
      let request;
      try {
        request = JSON.parse(raw);
      } catch {
        request = undefined;
      }
      // What the real API requires of every request.
      const invalid = !request
        ? 'body must be JSON'
        : req.headers['anthropic-version'] !== '2023-06-01'
          ? 'anthropic-version: header is required'
          : !request.model || !Number.isInteger(request.max_tokens) || !Array.isArray(request.messages)
            ? 'model, max_tokens and messages are required'
            : undefined;
      if (invalid) {
        res.statusCode = 400;
        res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: invalid } }));
        return;
      }
      const text = answer(request.system ?? '', request.messages?.[0]?.content ?? '');
      res.end(
        JSON.stringify({
          id: `msg_e2e_${takes}`,
          type: 'message',
          role: 'assistant',
          model: request.model,
          content: [{ type: 'text', text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: Math.ceil(raw.length / 4), output_tokens: Math.ceil(text.length / 4) },
        }),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(ANTHROPIC_PORT, '127.0.0.1', () => resolve(server));
  });
}
