// A local stand-in for BrasilAPI's `GET /api/cnpj/v1/{cnpj}`, answering in its wire
// format, so the e2e run enriches leads without the internet. Known CNPJs get a
// company; any other is a 404 `{"message","name":"NotFoundError","type":"not_found"}`.
import { createServer, Server } from 'node:http';

export const BRASILAPI_PORT = Number(process.env.FLUX_E2E_BRASILAPI_PORT ?? 18091);

const companies: Record<string, { razao_social: string; nome_fantasia: string; municipio: string; uf: string }> = {
  '11222333000181': { razao_social: 'CONSTRUTORA SAO JOAO LTDA', nome_fantasia: 'SJ OBRAS', municipio: 'SAO PAULO', uf: 'SP' },
  '12ABC34501DE35': { razao_social: 'PADARIA PAO DE ACUCAR ME', nome_fantasia: 'PADARIA DO ZE', municipio: 'CAMPINAS', uf: 'SP' },
};

export function startFakeBrasilApi(): Promise<Server> {
  const server = createServer((req, res) => {
    const match = /^\/api\/cnpj\/v1\/([0-9A-Z]{14})$/.exec(req.url ?? '');
    const company = match ? companies[match[1]] : undefined;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    if (!match || !company) {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'CNPJ não encontrado.', name: 'NotFoundError', type: 'not_found' }));
      return;
    }
    res.end(
      JSON.stringify({
        cnpj: match[1],
        ...company,
        descricao_situacao_cadastral: 'ATIVA',
        data_inicio_atividade: '2015-03-02',
        cnae_fiscal: 4120400,
        cnae_fiscal_descricao: 'Construção de edifícios',
        porte: 'DEMAIS',
        capital_social: 150000,
        natureza_juridica: 'Sociedade Empresária Limitada',
        cep: '01310100',
        logradouro: 'PAULISTA',
        descricao_tipo_de_logradouro: 'AVENIDA',
        numero: '1000',
        bairro: 'BELA VISTA',
        ddd_telefone_1: '1123851939',
        qsa: [{ nome_socio: 'MARIA DA SILVA', cnpj_cpf_do_socio: '***123456**', qualificacao_socio: 'Sócio-Administrador', data_entrada_sociedade: '2015-03-02' }],
      }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(BRASILAPI_PORT, '127.0.0.1', () => resolve(server));
  });
}
