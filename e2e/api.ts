// Set-up through the API for specs that test something else in the browser.
import { expect, type APIRequestContext, type Page } from '@playwright/test';

/** Signs up a manager of a new organization; returns the bearer header. */
export async function signUp(request: APIRequestContext, name: string, email: string, password: string) {
  const signup = await request.post('/api/v1/auth/signup', { data: { name, email, password } });
  expect(signup.status()).toBe(201);
  return { Authorization: `Bearer ${(await signup.json()).tokens.access_token}` };
}

/** Creates a lead and waits for the fake BrasilAPI to enrich it; returns its id. */
export async function enrichedLead(request: APIRequestContext, auth: Record<string, string>, cnpj: string) {
  const created = await request.post('/api/v1/leads', { headers: auth, data: { cnpj } });
  expect(created.status()).toBe(201);
  const id = (await created.json()).id as string;
  await expect
    .poll(async () => (await (await request.get(`/api/v1/leads/${id}`, { headers: auth })).json()).enrichment_status, { timeout: 20_000 })
    .toBe('enriched');
  return id;
}

/** Signs in through the login page and waits for the app's navigation. */
export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/entrar');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Senha').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('navigation', { name: 'Navegação principal' })).toBeVisible();
}
