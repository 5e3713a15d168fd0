import { expect, test, type Page } from '@playwright/test';
import { signIn, signUp } from '../api';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Navegação principal' });

/** The SPA modules (wasm) the page fetches, by file name, in order. */
function wasmFetched(page: Page): string[] {
  const names: string[] = [];
  page.on('request', (req) => {
    const path = new URL(req.url()).pathname;
    if (path.endsWith('.wasm')) names.push(path.split('/').pop()!);
  });
  return names;
}

test('a signed-out visitor downloads only the main module, pages load by area', async ({ page, request }) => {
  const wasm = wasmFetched(page);
  const api: string[] = [];
  page.on('request', (req) => {
    const path = new URL(req.url()).pathname;
    if (path.startsWith('/api/')) api.push(path);
  });

  // `/` needs a session: the visitor lands on the login page without fetching the
  // signed-in shell, the dashboard or `/me` (what scripts/spa-size.py counts).
  await page.goto('/');
  await expect(page).toHaveURL(/\/entrar$/);
  await expect(page.getByRole('heading', { name: 'Entrar no Flux' })).toBeVisible();
  expect(wasm).toEqual(['main_bg.wasm']);
  expect(api).toEqual(['/api/v1/auth/refresh']);

  // Signing in fetches the sign-in request's module, `/me` and the home area.
  const stamp = Date.now();
  const email = `primeira.${stamp}@carga${stamp}.com.br`;
  await signUp(request, 'Primeira Carga', email, 'senha-primeira-1');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Senha').fill('senha-primeira-1');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('heading', { name: 'Olá, Primeira!' })).toBeVisible();
  const modules = wasm.filter((name) => name.startsWith('split_'));
  expect(modules.map((name) => name.replace(/_\d+\.wasm$/, ''))).toEqual(
    expect.arrayContaining(['split_login', 'split_load_me', 'split_home_view']),
  );
  expect(modules).toHaveLength(3);

  // Another area loads when one of its pages opens, once.
  await nav(page).getByRole('link', { name: 'Leads', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Leads' })).toBeVisible();
  await nav(page).getByRole('link', { name: 'Dashboard', exact: true }).click();
  await nav(page).getByRole('link', { name: 'Leads', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Leads' })).toBeVisible();
  expect(wasm.filter((name) => name.startsWith('split_leads_view'))).toHaveLength(1);
});

test('a page module that fails to download leaves a notice with a reload link', async ({ page, request }) => {
  const stamp = Date.now();
  const email = `sem.rede.${stamp}@carga${stamp}.com.br`;
  await signUp(request, 'Sem Rede', email, 'senha-sem-rede-1');
  await signIn(page, email, 'senha-sem-rede-1');

  // As when the connection drops, or a new version replaced this one's modules.
  await page.route(/split_templates_view_\d+\.wasm$/, (route) => route.abort('connectionfailed'));
  await nav(page).getByRole('link', { name: 'Templates', exact: true }).click();
  const notice = page.getByRole('alert').filter({ hasText: 'Não foi possível carregar esta parte do Flux' });
  await expect(notice).toBeVisible();

  // The reload starts the app over, signed in, and the area loads this time.
  await page.unroute(/split_templates_view_\d+\.wasm$/);
  await notice.getByRole('link', { name: 'Recarregar a página' }).click();
  await expect(page.getByRole('navigation', { name: 'Navegação principal' })).toBeVisible();
  await expect(notice).toHaveCount(0);
  await nav(page).getByRole('link', { name: 'Templates', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Templates' })).toBeVisible();
});
