// Real-browser end-to-end test of the Habilis sign-in journeys.
//
// Starts `habilis serve --demo` on a free port in a fresh temporary directory, drives the
// system's headless Chromium (/usr/bin/chromium) through playwright-core, and always stops
// the server at the end, even when a journey fails.
//
// Run from e2e/:   node --test login.test.mjs
// Environment:     HABILIS_BIN       the binary (default /root/.cache/habilis-target/debug/habilis)
//                  CHROMIUM_PATH     the browser (default /usr/bin/chromium)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import * as oidc from 'openid-client';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, 'test-results');
const HABILIS_BIN = process.env.HABILIS_BIN || '/root/.cache/habilis-target/debug/habilis';
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DEMO_PASSWORD = 'Tournesol-Bleu-42-Lille';
const ADMIN_LOGIN = 'mons.admin';
const IE11_UA = 'Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko';
const STARTUP_TIMEOUT_MS = 60_000;
const CDAP_SECRET = 'e2e-cdap-client-secret-0123456789abcdef';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether nothing listens on 127.0.0.1:port (we can bind it). */
function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free port at 18000 + random. */
async function freePort() {
  for (let i = 0; i < 50; i++) {
    const port = 18000 + Math.floor(Math.random() * 2000);
    if (await portIsFree(port)) return port;
  }
  throw new Error('no free TCP port found in 18000-19999');
}

/** The running portal: child process, its output, its address. */
const server = { child: null, dir: null, base: null, stdout: '', stderr: '', exit: null };

function serverOutput() {
  return `--- habilis stdout ---\n${server.stdout}\n--- habilis stderr (tail) ---\n${server.stderr.slice(-4000)}`;
}

async function startServer() {
  if (!existsSync(HABILIS_BIN)) {
    throw new Error(`habilis binary not found at ${HABILIS_BIN} (build it with: cargo build -p habilis-server, or set HABILIS_BIN)`);
  }
  const port = await freePort();
  server.dir = mkdtempSync(path.join(os.tmpdir(), 'habilis-e2e-'));
  server.base = `http://127.0.0.1:${port}`;
  const args = [
    'serve', '--demo',
    '--listen', `127.0.0.1:${port}`,
    '--database-url', `sqlite://${path.join(server.dir, 'habilis.db')}`,
    '--trace-key-file', path.join(server.dir, 'trace.key'),
  ];
  // The second factor is required of partner deputies only here, so that the journeys
  // of the other roles are not interrupted; its own journey signs in as the deputy.
  writeFileSync(path.join(server.dir, 'habilis.toml'), '[second_factor]\nrequired_roles = ["partner_deputy"]\n');
  const child = spawn(HABILIS_BIN, args, {
    cwd: server.dir,
    env: { ...process.env, HABILIS_DEMO_PASSWORD: DEMO_PASSWORD, HABILIS_DEMO_CLIENT_SECRET: CDAP_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.child = child;
  child.stdout.setEncoding('utf8').on('data', (d) => { server.stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { server.stderr += d; });
  child.on('exit', (code, signal) => { server.exit = { code, signal }; });
  child.on('error', (err) => { server.exit = { code: null, signal: null, error: err }; });

  // Wait for the "listening" line, then poll /healthz until 200.
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.exit) {
      throw new Error(`habilis exited before it was ready (${JSON.stringify(server.exit)})\n${serverOutput()}`);
    }
    if (server.stdout.includes('Habilis écoute sur')) {
      try {
        const res = await fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) return;
        lastProblem = `GET /healthz answered ${res.status}`;
      } catch (err) {
        lastProblem = `GET /healthz failed: ${err.message}`;
      }
    } else {
      lastProblem = 'the "Habilis écoute sur" line was not printed yet';
    }
    await sleep(200);
  }
  throw new Error(`habilis not ready after ${STARTUP_TIMEOUT_MS} ms: ${lastProblem}\n${serverOutput()}`);
}

async function stopServer() {
  const child = server.child;
  if (child && !server.exit) {
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && !server.exit; i++) await sleep(100);
    if (!server.exit) {
      child.kill('SIGKILL');
      for (let i = 0; i < 20 && !server.exit; i++) await sleep(100);
    }
  }
  server.child = null;
  if (server.dir) {
    rmSync(server.dir, { recursive: true, force: true });
    server.dir = null;
  }
}

// Last resort: never leave the server behind, even if the runner dies abruptly.
process.on('exit', () => {
  if (server.child && !server.exit) {
    try { server.child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

let browser;

/** Run one journey in a fresh browser context; on failure keep a screenshot and the page. */
async function inContext(name, options, fn) {
  const context = await browser.newContext({ locale: 'fr-FR', ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  try {
    await fn(page, context);
  } catch (err) {
    const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    try {
      await page.screenshot({ path: path.join(RESULTS, `failure-${slug}.png`), fullPage: true });
      writeFileSync(path.join(RESULTS, `failure-${slug}.html`), await page.content());
    } catch { /* the page may be gone */ }
    throw err;
  } finally {
    await context.close();
  }
}

const url = (p) => `${server.base}${p}`;

/** axe-core, injected through the browser's debugging protocol (the portal's CSP forbids scripts it did not serve). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The WCAG 2.1 A and AA rules axe-core checks on the page now: no violation is accepted. */
async function axeCheck(page, label) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const found = result.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(found, [], `axe-core on ${label} (${page.url()})`);
  return result.passes.length;
}

/** What the page says, for assertion messages: status, URL, h1 and main text. */
async function describePage(page, res) {
  const status = res ? `${res.status()} ` : '';
  const main = (await page.locator('main').innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
  return `${status}${page.url()} — ${main.slice(0, 300)}`;
}

/** Submit a form by clicking `button` and return the response of the POST to `action`. */
/** Opens a sub-page of a partner's file at the caisse by its navigation. */
async function partnerSection(page, name) {
  await page.getByRole('navigation', { name: 'Parties du dossier du partenaire' }).getByRole('link', { name, exact: true }).click();
  await page.waitForLoadState('load');
}

/** Opens a sub-page of the rights page by its navigation (issue 17: one subject per page). */
async function rightsSection(page, name) {
  await page.getByRole('navigation', { name: 'Parties de la page des habilitations' }).getByRole('link', { name, exact: true }).click();
  await page.waitForLoadState('load');
}

async function submit(page, button, action) {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === action),
    button.click(),
  ]);
  await page.waitForLoadState();
  return res;
}

/** Sign in through the form and check that the portal accepted it (303 to /). */
async function signIn(page, login, password) {
  await page.goto(url('/login'));
  await page.getByLabel('Identifiant').fill(login);
  await page.getByLabel('Mot de passe').fill(password);
  const res = await submit(page, page.getByRole('button', { name: 'Se connecter' }), '/login');
  assert.equal(res.status(), 303, `POST /login should redirect (303) to /; got ${await describePage(page, res)}`);
  await page.waitForURL((u) => u.pathname === '/');
}

/**
 * The code an authenticator application shows (RFC 6238: HMAC-SHA1, 6 digits, 30 s),
 * computed here with Node's own crypto, independently of the portal's Rust code.
 */
function totp(base32Secret, unixSeconds = Date.now() / 1000) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32Secret.replace(/\s+/g, '').toUpperCase()) {
    bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  }
  const key = Buffer.from((bits.match(/.{8}/g) || []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0x0f;
  const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

/** Sign in with the password only; returns where the portal sends the person. */
async function passwordStep(page, login, password) {
  await page.goto(url('/login'));
  await page.getByLabel('Identifiant').fill(login);
  await page.getByLabel('Mot de passe').fill(password);
  const res = await submit(page, page.getByRole('button', { name: 'Se connecter' }), '/login');
  assert.equal(res.status(), 303, `POST /login should redirect; got ${await describePage(page, res)}`);
  return new URL(page.url()).pathname;
}

describe('Habilis sign-in in a real browser', () => {
  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    try {
      if (browser) await browser.close();
    } finally {
      await stopServer();
    }
  });

  test('the sign-in page is in French and switches to English', async () => {
    await inContext('login-page', {}, async (page) => {
      const res = await page.goto(url('/login'));
      assert.equal(res.status(), 200);
      assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
      assert.equal((await page.locator('h1').innerText()).trim(), 'Connexion');

      const login = page.getByLabel('Identifiant');
      const password = page.getByLabel('Mot de passe');
      assert.equal(await login.getAttribute('id'), 'login');
      assert.equal(await password.getAttribute('id'), 'password');
      assert.equal(await password.getAttribute('type'), 'password');
      assert.ok(await login.isVisible(), '#login is visible');
      assert.ok(await password.isVisible(), '#password is visible');
      assert.ok(await page.getByRole('button', { name: 'Se connecter' }).isVisible(), 'the "Se connecter" button is visible');

      await page.getByRole('link', { name: 'English' }).click();
      await page.waitForURL((u) => u.searchParams.get('lang') === 'en');
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      assert.equal((await page.locator('h1').innerText()).trim(), 'Sign in');
    });
  });

  test('mons.admin signs in and sees the home page', async () => {
    await inContext('sign-in', {}, async (page) => {
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal((await page.locator('h1').innerText()).trim(), 'Bonjour Claire Martin');

      // The facts about the signed-in person (the <dl> under the greeting), not the contacts table.
      const facts = (await page.locator('main dd').allInnerTexts()).map((t) => t.trim());
      assert.ok(facts.includes('Mairie de Mons-en-Barœul'), `the organisation is shown (facts: ${JSON.stringify(facts)})`);
      assert.ok(facts.some((t) => t.split(/,\s*/).includes('Administrateur')), `the role "Administrateur" is shown (facts: ${JSON.stringify(facts)})`);

      const logout = page.locator('header').getByRole('button', { name: 'Se déconnecter' });
      assert.ok(await logout.isVisible(), 'the header shows "Se déconnecter"');
      const form = page.locator('header form', { has: page.getByRole('button', { name: 'Se déconnecter' }) });
      assert.equal(String(await form.getAttribute('method')).toLowerCase(), 'post');
      assert.equal(await form.getAttribute('action'), '/logout');
      const csrf = await form.locator('input[type="hidden"][name="csrf"]').inputValue();
      assert.ok(csrf.length >= 20, `the sign-out form carries a CSRF token (got ${JSON.stringify(csrf)})`);

      await page.screenshot({ path: path.join(RESULTS, 'home.png'), fullPage: true });
      await axeCheck(page, 'journey: home');
    });
  });

  test('signing out lands on /login with a notice, and / is closed again', async () => {
    await inContext('sign-out', {}, async (page) => {
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);

      const res = await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');
      assert.equal(res.status(), 303, `POST /logout should redirect (303) to /login; got ${await describePage(page, res)}`);
      await page.waitForURL((u) => u.pathname === '/login');
      const notice = page.getByText('Vous êtes déconnecté(e).', { exact: true });
      assert.ok(await notice.isVisible(), 'the "Vous êtes déconnecté(e)." notice is visible');

      await page.goto(url('/'));
      assert.equal(new URL(page.url()).pathname, '/login', 'going to / after sign-out redirects to /login');
      assert.equal((await page.locator('h1').innerText()).trim(), 'Connexion');
    });
  });

  test('a wrong password is refused with 401 and keeps the login', async () => {
    await inContext('wrong-password', {}, async (page) => {
      await page.goto(url('/login'));
      await page.getByLabel('Identifiant').fill(ADMIN_LOGIN);
      await page.getByLabel('Mot de passe').fill('Pas-Le-Bon-Mot-De-Passe-7');
      const res = await submit(page, page.getByRole('button', { name: 'Se connecter' }), '/login');
      assert.equal(res.status(), 401, `a wrong password should get 401; got ${await describePage(page, res)}`);

      const alert = page.getByRole('alert');
      assert.ok(await alert.isVisible(), 'an alert is shown');
      assert.match(await alert.innerText(), /Identifiant ou mot de passe incorrect\./);
      assert.equal(await page.locator('#login').inputValue(), ADMIN_LOGIN);
      assert.equal(await page.locator('#password').inputValue(), '', 'the password is not echoed back');
    });
  });

  test('the caisse onboards a partner; its administrator follows the emailed link and signs in', async () => {
    await inContext('onboarding', {}, async (page) => {
      await signIn(page, 'caf.admin', DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Partenaires', exact: true }).click();
      await page.getByRole('link', { name: 'Nouveau partenaire' }).click();
      await page.getByLabel('Nom').fill('CCAS de Lomme');
      await page.getByLabel('SIRET').fill('732 829 320 00074');
      await page.getByLabel('Commune').fill('Lomme');
      let res = await submit(page, page.getByRole('button', { name: 'Enregistrer' }), '/caisse/partners/new');
      assert.equal(res.status(), 303, `creating the partner; got ${await describePage(page, res)}`);
      assert.equal((await page.locator('h1').innerText()).trim(), 'CCAS de Lomme');
      const partnerPath = new URL(page.url()).pathname;

      const form = (suffix) => page.locator(`form[action="${partnerPath}/${suffix}"]`);
      await partnerSection(page, 'Convention, contrat de service et avenants');
      await page.getByText('Enregistrer une convention').click();
      await form('conventions').getByLabel('Numéro de convention').fill('2024-73282932000074');
      await form('conventions').getByLabel('Date de signature').fill('2024-01-15');
      await form('conventions').getByLabel('Signataires').fill('Le maire de Lomme');
      res = await submit(page, form('conventions').getByRole('button', { name: 'Enregistrer' }), `${partnerPath}/conventions`);
      assert.equal(res.status(), 303, `recording the convention; got ${await describePage(page, res)}`);

      await page.getByText('Enregistrer un contrat de service').click();
      await form('contracts').getByLabel('Date de signature').fill('2024-01-15');
      await form('contracts').getByLabel('Signataires').fill('Le maire de Lomme');
      res = await submit(page, form('contracts').getByRole('button', { name: 'Enregistrer' }), `${partnerPath}/contracts`);
      assert.equal(res.status(), 303, `recording the contract; got ${await describePage(page, res)}`);

      await partnerSection(page, 'Identité et services');
      await page.getByText("Enregistrer un bulletin d'adhésion").click();
      const sub = form('subscriptions');
      await sub.getByLabel('Service', { exact: true }).selectOption('CDAP');
      await sub.getByLabel('Date de signature', { exact: true }).fill('2024-01-20');
      await sub.getByLabel('Référence des formalités Informatique et Libertés').fill('Registre n° 12');
      await sub.getByLabel('Date des formalités').fill('2024-01-10');
      await sub.getByLabel('Date de mise à disposition').fill('2024-02-01');
      await sub.getByLabel('Quota du service').fill('5');
      res = await submit(page, sub.getByRole('button', { name: 'Enregistrer' }), `${partnerPath}/subscriptions`);
      assert.equal(res.status(), 303, `recording the subscription; got ${await describePage(page, res)}`);
      const services = await page.locator('section[aria-labelledby="services-title"] table').first().innerText();
      assert.match(services, /CDAP/);
      // Annex 2's history starts with the bulletin as signed (issue 12).
      assert.match(await page.locator('table[aria-labelledby="annex2-title"]').innerText(), /Nombre maximal de titulaires : 5/);
      assert.match(services, /ouvert/, `CDAP is open once everything is signed (${services})`);

      await partnerSection(page, 'Administrateurs du partenaire');
      await page.getByText('Désigner un administrateur ou un suppléant').click();
      const adm = form('administrators');
      await adm.getByLabel('Prénom').fill('Hélène');
      await adm.getByLabel('Nom', { exact: true }).fill('Dubois');
      await adm.getByLabel('Fonction', { exact: true }).fill('Directrice du CCAS');
      await adm.getByLabel('Adresse électronique individuelle').fill('h.dubois@ccas-lomme.invalid');
      res = await submit(page, adm.getByRole('button', { name: 'Créer le compte et envoyer le lien' }), `${partnerPath}/administrators`);
      assert.equal(res.status(), 303, `issuing the administrator; got ${await describePage(page, res)}`);

      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Messages envoyés' }).click();
      const row = page.locator('tr', { hasText: 'h.dubois@ccas-lomme.invalid' });
      await row.locator('summary').click();
      const mail = await row.locator('pre').innerText();
      const link = mail.match(/https?:\/\/\S+\/set-password\?token=\S+/);
      assert.ok(link, `the message carries the set-password link: ${mail}`);
      const login = mail.match(/Votre identifiant : (\S+)/)[1];
      assert.equal(login, 'lomme.helene.dubois', 'the login is in the CCAS namespace');
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      await page.goto(link[0]);
      assert.equal((await page.locator('h1').innerText()).trim(), 'Choisir votre mot de passe');
      await page.getByLabel('Nouveau mot de passe').fill('Violette-Mauve-2026-Nord');
      await page.getByLabel('Confirmez le mot de passe').fill('Violette-Mauve-2026-Nord');
      res = await submit(page, page.getByRole('button', { name: 'Enregistrer le mot de passe' }), '/set-password');
      assert.equal(res.status(), 303, `setting the password; got ${await describePage(page, res)}`);
      assert.ok(await page.getByText('Votre mot de passe est enregistré.').isVisible());

      await signIn(page, login, 'Violette-Mauve-2026-Nord');
      assert.equal((await page.locator('h1').innerText()).trim(), 'Bonjour Hélène Dubois');
      await page.screenshot({ path: path.join(RESULTS, 'onboarded-admin-home.png'), fullPage: true });
      await axeCheck(page, 'journey: onboarded-admin-home');
    });
  });

  test('the administrator designates a manager for CDAP T1, who grants T1, cannot grant T2, and sees the quota move', async () => {
    await inContext('delegation', {}, async (page) => {
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: "Habilitations de l'organisme" }).click();
      await rightsSection(page, 'Mandats');
      await page.getByText('Donner un mandat').click();
      const mform = page.locator('form[action="/partner/mandates"]');
      await mform.getByLabel('Personne').selectOption({ label: 'Karim Haddad (mons.agent)' });
      await mform.getByLabel(/CDAP T1/).check();
      await mform.getByLabel('gérer les utilisateurs').check();
      let res = await submit(page, mform.getByRole('button', { name: 'Donner le mandat' }), '/partner/mandates');
      assert.equal(res.status(), 303, `giving the mandate; got ${await describePage(page, res)}`);
      assert.match(await page.locator('section[aria-labelledby="mandates-title"]').innerText(), /Karim Haddad/);
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      await signIn(page, 'mons.agent', DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: "Habilitations de l'organisme" }).click();
      const quota = () => page.locator('section[aria-labelledby="quotas-title"] td.quota').first().innerText();
      const before = await quota();
      await rightsSection(page, 'Utilisateurs');
      await page.getByText('Créer un utilisateur').click();
      const uform = page.locator('form[action="/partner/users"]');
      await uform.getByLabel('Prénom').fill('Léa');
      await uform.getByLabel('Nom', { exact: true }).fill('Roux');
      await uform.getByLabel('Adresse électronique').fill('lea.roux@mairie-mons.invalid');
      res = await submit(page, uform.getByRole('button', { name: 'Créer le compte et envoyer le lien' }), '/partner/users');
      assert.equal(res.status(), 303, `creating the user; got ${await describePage(page, res)}`);

      await rightsSection(page, 'Habilitations');
      await page.getByText('Habiliter une personne').click();
      const gform = page.locator('form[action="/partner/grants"]');
      await gform.getByLabel('Personne').selectOption({ label: 'Léa Roux (mons.lea.roux)' });
      await gform.getByLabel('Service et profil').selectOption('CDAP:T1');
      await gform.getByLabel("Motif de l'habilitation").fill('Accueil des familles');
      res = await submit(page, gform.getByRole('button', { name: 'Habiliter' }), '/partner/grants');
      assert.equal(res.status(), 303, `granting T1; got ${await describePage(page, res)}`);
      const after = await quota();
      assert.notEqual(after, before, `the quota figure changes (${before} → ${after})`);
      assert.match(after, /^(\d+) \/ 10$/);

      // T2 is not offered: the page states the mandate and offers what it covers only.
      assert.match(await page.locator('#my-mandate').innerText(), /vous pouvez donner CDAP T1 ;/);
      assert.equal(await gform.locator('option[value="CDAP:T2"]').count(), 0, 'T2 is not offered');
      // Posted anyway (a hand-made form), it is refused with a sentence.
      await page.getByText('Habiliter une personne').click();
      await gform.getByLabel('Personne').selectOption({ label: 'Léa Roux (mons.lea.roux)' });
      await page.evaluate(() => {
        const o = document.createElement('option');
        o.value = 'CDAP:T2';
        o.textContent = 'CDAP T2';
        document.querySelector('form[action="/partner/grants"] select[name="service_role"]').appendChild(o);
      });
      await gform.getByLabel('Service et profil').selectOption('CDAP:T2');
      await gform.getByLabel("Motif de l'habilitation").fill('Instruction');
      res = await submit(page, gform.getByRole('button', { name: 'Habiliter' }), '/partner/grants');
      assert.equal(res.status(), 403, `T2 is outside the mandate; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('alert').innerText(), /Votre mandat ne couvre pas cette action/);
      await page.screenshot({ path: path.join(RESULTS, 'delegated-manager.png'), fullPage: true });
      await axeCheck(page, 'journey: delegated-manager');
    });
  });

  test('the caisse suspends a grant with a reason; the partner administrator sees it suspended and cannot resume it', async () => {
    await inContext('caisse-suspension', {}, async (page) => {
      // The partner's administrator creates a person and grants CDAP T1.
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      await page.goto(url('/partner/rights/people'));
      await page.getByText('Créer un utilisateur').click();
      const uform = page.locator('form[action="/partner/users"]');
      await uform.getByLabel('Prénom').fill('Paul');
      await uform.getByLabel('Nom', { exact: true }).fill('Martin');
      await uform.getByLabel('Adresse électronique').fill('paul.martin@mairie-mons.invalid');
      let res = await submit(page, uform.getByRole('button', { name: 'Créer le compte et envoyer le lien' }), '/partner/users');
      assert.equal(res.status(), 303, `creating the user; got ${await describePage(page, res)}`);
      await rightsSection(page, 'Habilitations');
      await page.getByText('Habiliter une personne').click();
      const gform = page.locator('form[action="/partner/grants"]');
      await gform.getByLabel('Personne').selectOption({ label: 'Paul Martin (mons.paul.martin)' });
      await gform.getByLabel('Service et profil').selectOption('CDAP:T1');
      await gform.getByLabel("Motif de l'habilitation").fill('Suivi des dossiers RSA');
      res = await submit(page, gform.getByRole('button', { name: 'Habiliter' }), '/partner/grants');
      assert.equal(res.status(), 303, `granting; got ${await describePage(page, res)}`);
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      // The caisse finds it from the partner's file and suspends it, with a reason.
      await signIn(page, 'caf.admin', DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Partenaires', exact: true }).click();
      await page.getByRole('link', { name: /Mairie de Mons/ }).click();
      await page.getByRole('link', { name: 'Comptes, groupes et habilitations' }).click();
      assert.match(await page.locator('main').innerText(), /Gestion déléguée : vous consultez ce partenaire/);
      await rightsSection(page, 'Habilitations');
      const row = page.locator('tr', { hasText: 'Suivi des dossiers RSA' });
      await row.locator('summary').click();
      const sform = row.locator('form[action$="/caisse-suspend"]');
      const action = new URL(await sform.getAttribute('action'), url('/')).pathname;
      await sform.getByLabel('Motif').fill('Usage atypique signalé');
      res = await submit(page, sform.getByRole('button', { name: 'Suspendre à titre conservatoire' }), action);
      assert.equal(res.status(), 303, `suspending; got ${await describePage(page, res)}`);
      assert.match(await page.locator('tr', { hasText: 'Suivi des dossiers RSA' }).innerText(), /Suspendue par la caisse : Usage atypique signalé/);
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      // The partner's administrator sees it suspended and why, and has no way to resume it.
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      await page.goto(url('/partner/rights/grants'));
      const prow = page.locator('tr', { hasText: 'Suivi des dossiers RSA' });
      assert.match(await prow.innerText(), /Suspendue par la caisse : Usage atypique signalé/);
      assert.equal(await prow.getByRole('button', { name: /Réactiver/ }).count(), 0, 'no resume button');
      // A resume posted anyway (as a hand-made form would) is refused with a sentence.
      const revoke = await prow.locator('form[action$="/revoke"]').getAttribute('action');
      const resumePath = revoke.replace(/\/revoke$/, '/resume');
      await page.evaluate((p) => {
        const f = document.querySelector('form[action$="/revoke"]').cloneNode(true);
        f.setAttribute('action', p);
        document.body.appendChild(f);
        f.id = 'forged';
      }, resumePath);
      res = await submit(page, page.locator('#forged button'), resumePath);
      assert.equal(res.status(), 403, `resuming a caisse suspension; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('alert').innerText(), /seule la caisse peut lever la suspension/);
      await page.screenshot({ path: path.join(RESULTS, 'caisse-suspension.png'), fullPage: true });
      await axeCheck(page, 'journey: caisse-suspension');

      // Revoking asks first, without JavaScript: a page says what will happen and asks why.
      await page.goto(url('/partner/rights/grants'));
      res = await submit(page, page.locator('tr', { hasText: 'Suivi des dossiers RSA' }).locator('form[action$="/revoke"] button'), revoke);
      assert.equal(res.status(), 200, `the confirmation page; got ${await describePage(page, res)}`);
      assert.equal((await page.locator('h1').innerText()).trim(), 'Retirer cette habilitation ?');
      assert.match(await page.locator('main').innerText(), /CDAP T1 .* Paul Martin/);
      await page.screenshot({ path: path.join(RESULTS, 'confirm-revoke.png'), fullPage: true });
      await axeCheck(page, 'journey: confirm-revoke');
      await page.getByLabel('Motif (obligatoire)').fill('Fin du suivi RSA');
      res = await submit(page, page.getByRole('button', { name: "Retirer l'habilitation" }), revoke);
      assert.equal(res.status(), 303, `revoking; got ${await describePage(page, res)}`);
      assert.equal(await page.locator('tr', { hasText: 'Suivi des dossiers RSA' }).locator('form[action$="/revoke"]').count(), 0, 'revoked');
    });
  });

  test('the partner administrator reads, filters and exports their organisation\'s traces', async () => {
    await inContext('traces', { acceptDownloads: true }, async (page) => {
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Traces', exact: true }).click();
      assert.equal((await page.locator('h1').innerText()).trim(), 'Traces');
      const table = page.locator('section[aria-labelledby="results-title"] table');
      // Actions by default, in words (the code beside them); sign-ins and page views on demand.
      const first = await table.innerText();
      assert.match(first, /Habilitation donnée/);
      assert.doesNotMatch(first, /session\.login/);
      // Only the Mairie's chain: the caisse's people appear only for what they did to the
      // Mairie (the suspension of the previous journey), never their own sign-ins.
      for (const r of await table.locator('tbody tr').allInnerTexts()) {
        if (/caf\.admin/.test(r)) assert.match(r, /grant\.caisse_suspend|query\./, `a caisse row in the Mairie's traces: ${r}`);
      }

      await page.getByLabel('Personne (identifiant)').fill(ADMIN_LOGIN);
      await page.getByLabel('Résultat').selectOption('success');
      await Promise.all([page.waitForURL(/person=mons\.admin/), page.getByRole('button', { name: 'Afficher' }).click()]);
      const rows = await table.locator('tbody tr').allInnerTexts();
      assert.ok(rows.length > 0, 'some traces of mons.admin');
      for (const r of rows) assert.match(r, /mons\.admin/);
      assert.equal(await page.getByLabel('Personne (identifiant)').inputValue(), ADMIN_LOGIN, 'the filter stays');

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Exporter en CSV' }).click()]);
      assert.match(download.suggestedFilename(), /^traces-\d{4}-\d{2}-\d{2}\.csv$/);
      const file = path.join(RESULTS, 'traces-export.csv');
      await download.saveAs(file);
      const csv = (await import('node:fs')).readFileSync(file, 'utf8');
      const lines = csv.trim().split(/\r\n/);
      assert.match(lines[0], /date;identifiant;personne;organisation;.*;cible;cible en clair;/);
      assert.ok(lines.length >= 2, 'at least one trace exported');
      // The login and, beside it, the name the reader may read (ids kept as data).
      for (const l of lines.slice(1)) assert.match(l, /;mons\.admin;Claire Martin — Mairie de Mons-en-Barœul;/);

      // The reading and the export are themselves in the trail.
      await page.goto(url('/traces?action=trace.'));
      const text = await table.innerText();
      assert.match(text, /trace\.read/);
      assert.match(text, /trace\.export\.csv/);
      await page.screenshot({ path: path.join(RESULTS, 'traces.png'), fullPage: true });
      await axeCheck(page, 'journey: traces');
    });
  });

  test('a deputy must enrol a second factor, signs in with codes computed independently, and the caisse resets it when lost', async () => {
    await inContext('second-factor', {}, async (page) => {
      // The policy requires it of deputies: nothing opens before the enrolment.
      assert.equal(await passwordStep(page, 'mons.deputy', DEMO_PASSWORD), '/account/second-factor');
      assert.match(await page.getByRole('status').first().innerText(), /double authentification/);
      await page.goto(url('/'));
      await page.waitForURL((u) => u.pathname === '/account/second-factor');
      assert.ok(await page.locator('.qr svg').isVisible(), 'a QR code is shown');
      const secret = await page.locator('#totp-secret').getAttribute('data-secret');
      assert.match(secret, /^[A-Z2-7]{32}$/);

      let res = await (async () => {
        await page.getByLabel('Code à 6 chiffres').fill('000000');
        return submit(page, page.getByRole('button', { name: 'Activer la double authentification' }), '/account/second-factor');
      })();
      assert.equal(res.status(), 401, `a wrong code is refused; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('alert').innerText(), /incorrect, expiré ou déjà utilisé/);
      assert.equal(await page.getByLabel('Code à 6 chiffres').getAttribute('aria-invalid'), 'true');

      const enrolStep = stepNow();
      await page.getByLabel('Code à 6 chiffres').fill(totp(secret));
      res = await submit(page, page.getByRole('button', { name: 'Activer la double authentification' }), '/account/second-factor');
      assert.equal(res.status(), 200, `enrolled; got ${await describePage(page, res)}`);
      assert.equal((await page.locator('h1').innerText()).trim(), 'Vos codes de secours');
      const codes = (await page.locator('ul.recovery-codes code').allInnerTexts()).map((c) => c.trim());
      assert.equal(codes.length, 10, JSON.stringify(codes));
      await page.getByRole('link', { name: "J'ai noté mes codes, continuer" }).click();
      await page.waitForURL((u) => u.pathname === '/');
      assert.equal((await page.locator('h1').innerText()).trim(), 'Bonjour Hugo Lefebvre');
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      // Next sign-in: the password, then the code of the next 30-second step (a code works once).
      assert.equal(await passwordStep(page, 'mons.deputy', DEMO_PASSWORD), '/login/code');
      while (stepNow() <= enrolStep) await sleep(500);
      await page.getByLabel('Code à 6 chiffres').fill(totp(secret));
      res = await submit(page, page.getByRole('button', { name: 'Vérifier' }), '/login/code');
      assert.equal(res.status(), 303, `the code is accepted; got ${await describePage(page, res)}`);
      await page.waitForURL((u) => u.pathname === '/');
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      // Without the phone: a recovery code, once.
      assert.equal(await passwordStep(page, 'mons.deputy', DEMO_PASSWORD), '/login/code');
      await page.getByLabel('Code à 6 chiffres').fill(codes[0]);
      res = await submit(page, page.getByRole('button', { name: 'Vérifier' }), '/login/code');
      assert.equal(res.status(), 303, `a recovery code is accepted; got ${await describePage(page, res)}`);
      await page.waitForURL((u) => u.pathname === '/');
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      // The phone is lost: the caisse resets the deputy's factor from the partner's file.
      await signIn(page, 'caf.admin', DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Partenaires', exact: true }).click();
      await page.getByRole('link', { name: /Mairie de Mons/ }).click();
      await partnerSection(page, 'Administrateurs du partenaire');
      const resetButton = page.getByRole('button', { name: /Réinitialiser la double authentification Hugo Lefebvre/ });
      const action = new URL(await page.locator('form', { has: resetButton }).getAttribute('action'), server.base).pathname;
      res = await submit(page, resetButton, action);
      assert.equal(res.status(), 200, `reset; got ${await describePage(page, res)}`);
      assert.match(await page.locator('main').innerText(), /Hugo Lefebvre est réinitialisée/);
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      // The deputy enrols a new application at the next sign-in.
      assert.equal(await passwordStep(page, 'mons.deputy', DEMO_PASSWORD), '/account/second-factor');
      await page.screenshot({ path: path.join(RESULTS, 'second-factor.png'), fullPage: true });
      await axeCheck(page, 'journey: second-factor');
    });
  });

  test('CDAP, an independent relying party (openid-client), signs a person in with code + PKCE, refreshes, loses a revoked grant within 1 s, and logs out', async () => {
    // The partner's administrator gives Karim CDAP T1 and T2 through the JSON API.
    const api = async (method, p, token, body) => {
      const res = await fetch(url(p), {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const session = await api('POST', '/api/v1/session', null, { login: ADMIN_LOGIN, password: DEMO_PASSWORD });
    assert.equal(session.status, 201, JSON.stringify(session.body));
    const admin = session.body.token;
    const users = await api('GET', '/api/v1/users', admin);
    const karim = users.body.users.find((u) => u.login === 'mons.agent').id;
    const grants = {};
    for (const role of ['T1', 'T2']) {
      const g = await api('POST', '/api/v1/grants', admin, { holder: karim, service: 'CDAP', role, purpose: 'Accueil des familles' });
      assert.equal(g.status, 201, JSON.stringify(g.body));
      grants[role] = g.body.id;
    }

    // The relying party: a callback page on another port of the loopback address.
    const rp = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html lang="fr"><title>CDAP</title><h1>CDAP</h1></html>');
    });
    await new Promise((resolve) => rp.listen(0, '127.0.0.1', resolve));
    const rpBase = `http://127.0.0.1:${rp.address().port}`;
    try {
      const config = await oidc.discovery(new URL(server.base), 'cdap', CDAP_SECRET, oidc.ClientSecretBasic(CDAP_SECRET), {
        execute: [oidc.allowInsecureRequests],
      });
      assert.deepEqual(config.serverMetadata().code_challenge_methods_supported, ['S256']);
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const authUrl = oidc.buildAuthorizationUrl(config, {
        redirect_uri: `${rpBase}/callback`,
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });

      let tokens;
      await inContext('oidc-relying-party', {}, async (page) => {
        // The portal's own sign-in page, then straight back to the service.
        await page.goto(authUrl.href);
        await page.waitForURL((u) => u.pathname === '/login');
        await page.getByLabel('Identifiant').fill('mons.agent');
        await page.getByLabel('Mot de passe').fill(DEMO_PASSWORD);
        await page.getByRole('button', { name: 'Se connecter' }).click();
        await page.waitForURL((u) => u.origin === rpBase && u.pathname === '/callback');
        tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
          pkceCodeVerifier: verifier,
          expectedState: state,
          expectedNonce: nonce,
        }).catch(async (err) => {
          const detail = err.cause instanceof Response ? await err.cause.text() : JSON.stringify(err.cause ?? null);
          throw new Error(`code exchange refused: ${err.message}: ${detail}`);
        });
        const claims = tokens.claims();
        assert.equal(claims.sub, karim);
        assert.equal(claims.preferred_username, 'mons.agent');
        assert.deepEqual(claims.roles, ['T1', 'T2']);
        assert.equal(claims.organisation.name, 'Mairie de Mons-en-Barœul');
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        assert.deepEqual(info.roles, ['T1', 'T2']);

        // Refresh: a new refresh token each time.
        const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
        assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
        assert.deepEqual(refreshed.claims().roles, ['T1', 'T2']);
        tokens = refreshed;

        // The administrator revokes T1: within 1 s the check says no and the next token lacks it.
        const basic = `Basic ${Buffer.from(`cdap:${CDAP_SECRET}`).toString('base64')}`;
        const revoked = await api('POST', `/api/v1/grants/${grants.T1}/revoke`, admin);
        assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
        const t0 = Date.now();
        let answer;
        do {
          const res = await fetch(url('/api/v1/check?person=mons.agent&role=T1'), { headers: { authorization: basic } });
          answer = await res.json();
        } while (answer.allowed && Date.now() - t0 < 1000);
        assert.equal(answer.allowed, false, `the check still allowed T1 after ${Date.now() - t0} ms`);
        const after = await oidc.refreshTokenGrant(config, tokens.refresh_token);
        assert.ok(Date.now() - t0 < 1000, `revocation seen in ${Date.now() - t0} ms`);
        assert.deepEqual(after.claims().roles, ['T2']);
        tokens = after;

        // RP-initiated logout: the portal session ends and the service gets its page back.
        const endUrl = oidc.buildEndSessionUrl(config, {
          id_token_hint: tokens.id_token,
          post_logout_redirect_uri: `${rpBase}/bye`,
          state: 'au-revoir',
        });
        await page.goto(endUrl.href);
        await page.waitForURL((u) => u.origin === rpBase && u.pathname === '/bye');
        assert.equal(new URL(page.url()).searchParams.get('state'), 'au-revoir');
        await page.goto(url('/'));
        await page.waitForURL((u) => u.pathname === '/login');
        await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), /invalid_grant|ResponseBodyError/);
      });
    } finally {
      rp.close();
      await api('POST', `/api/v1/grants/${grants.T2}/revoke`, admin);
    }
  });

  test('the caisse opens the yearly review; the partner administrator keeps every line, sends the signed proof, and it verifies from the command line', async () => {
    await inContext('yearly-review', {}, async (page) => {
      await signIn(page, 'caf.admin', DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Revue annuelle' }).click();
      const open = page.locator('form[action="/caisse/reviews"]');
      await open.getByLabel('Année').fill('2026');
      await open.getByLabel(/Date limite/).fill('2099-01-15');
      let res = await submit(page, open.getByRole('button', { name: 'Ouvrir la campagne' }), '/caisse/reviews');
      assert.equal(res.status(), 303, `opening the campaign; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('status').innerText(), /Campagne 2026 ouverte/);
      assert.match(await page.locator('main').innerText(), /Non commencée/);
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Revue annuelle' }).click();
      await page.getByRole('link', { name: '2026' }).click();
      const reviewPath = new URL(page.url()).pathname;
      // Every line kept, one plain form each (no JavaScript needed).
      for (;;) {
        const open = page.locator('form[action$="/decide"]').filter({ has: page.locator('input[name="verdict"]:not(:checked)[value="keep"]') }).first();
        if (await open.count() === 0) break;
        // Pin the form by its line: once checked it no longer matches the filter above.
        const subject = await open.locator('input[name="subject"]').getAttribute('value');
        const form = page.locator(`form[action$="/decide"]:has(input[name="subject"][value="${subject}"])`);
        await form.getByLabel('Conserver').check();
        await form.getByLabel(/Commentaire/).fill('Toujours nécessaire');
        res = await submit(page, form.getByRole('button', { name: /Enregistrer la décision/ }), `${reviewPath}/decide`);
        assert.equal(res.status(), 303, `deciding; got ${await describePage(page, res)}`);
      }
      res = await submit(page, page.getByRole('button', { name: 'Signer et transmettre la preuve' }), `${reviewPath}/complete`);
      assert.equal(res.status(), 303, `completing; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('status').innerText(), /la preuve signée est transmise à la caisse/);
      await page.screenshot({ path: path.join(RESULTS, 'yearly-review-proof.png'), fullPage: true });
      await axeCheck(page, 'journey: yearly-review-proof');
      // The proof file, checked by the operator's command against the portal's key file.
      const download = await page.request.get(url(`${reviewPath}/proof.json`));
      assert.equal(download.status(), 200, 'the proof file');
      const proof = await download.text();
      const file = path.join(server.dir, 'proof.json');
      writeFileSync(file, proof);
      const check = await new Promise((resolve) => {
        const c = spawn(HABILIS_BIN, ['review', 'verify', file], { cwd: server.dir });
        let out = '';
        c.stdout.on('data', (d) => { out += d; });
        c.on('exit', (code) => resolve({ code, out }));
      });
      assert.equal(check.code, 0, `habilis review verify: ${check.out}`);
      assert.match(check.out, /Preuve valide/);
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      await signIn(page, 'caf.admin', DEMO_PASSWORD);
      await page.goto(url('/caisse/reviews'));
      assert.match(await page.locator('main').innerText(), /Terminée/);
    });
  });

  test('the caisse sets its detection hours; a sign-in outside them raises an alert it reads and qualifies', async () => {
    await inContext('alerts', {}, async (page) => {
      await signIn(page, 'caf.admin', DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: "Alertes d'usage" }).click();
      await page.getByRole('link', { name: 'Régler les règles de détection' }).click();
      // Usual hours chosen so that now (Paris time) is outside them, whatever the hour.
      const hour = Number(new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: 'numeric', hour12: false }).format(new Date()));
      const [start, end] = hour <= 21 ? [hour + 1, hour + 2] : [0, 1];
      const rules = page.locator('form[action="/caisse/alerts/rules"]');
      await rules.getByLabel(/Début de journée/).fill(String(start));
      await rules.getByLabel(/Fin de journée/).fill(String(end));
      let res = await submit(page, rules.getByRole('button', { name: 'Enregistrer les règles' }), '/caisse/alerts/rules');
      assert.equal(res.status(), 303, `saving the rules; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('status').innerText(), /Règles enregistrées/);
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      await signIn(page, 'mons.agent', DEMO_PASSWORD);
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      await signIn(page, 'caf.admin', DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: "Alertes d'usage" }).click();
      const row = page.locator('tr', { hasText: 'Karim Haddad (mons.agent)' }).filter({ hasText: 'Connexion hors des heures' });
      await row.getByRole('link', { name: /Voir l'alerte/ }).click();
      assert.match(await page.locator('main').innerText(), /en dehors des heures configurées/);
      await page.screenshot({ path: path.join(RESULTS, 'alert.png'), fullPage: true });
      await axeCheck(page, 'journey: alert');
      const alertPath = new URL(page.url()).pathname;
      const ack = page.locator(`form[action="${alertPath}/acknowledge"]`);
      await ack.getByLabel(/Commentaire/).fill('Essai du test de navigateur : connexion attendue.');
      res = await submit(page, ack.getByRole('button', { name: "Qualifier l'alerte" }), `${alertPath}/acknowledge`);
      assert.equal(res.status(), 303, `qualifying; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('status').innerText(), /Alerte qualifiée/);
      assert.match(await page.locator('main').innerText(), /Qualifiée par Sophie Durand/);

      // Back to the usual hours.
      await page.goto(url('/caisse/alerts/rules'));
      await rules.getByLabel(/Début de journée/).fill('7');
      await rules.getByLabel(/Fin de journée/).fill('20');
      res = await submit(page, rules.getByRole('button', { name: 'Enregistrer les règles' }), '/caisse/alerts/rules');
      assert.equal(res.status(), 303, `restoring the rules; got ${await describePage(page, res)}`);
    });
  });

  test('a partner administrator reports an incident; the desk qualifies, answers and closes it; a user finds whom to turn to', async () => {
    await inContext('incident', {}, async (page) => {
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Incidents' }).click();
      const form = page.locator('form[method="post"][action="/incidents"]');
      await form.getByLabel('Service concerné').selectOption('CDAP');
      await form.getByLabel('Objet').fill('CDAP refuse la connexion');
      await form.getByLabel(/Description/).fill("Depuis ce matin, l'agent d'accueil ne peut plus ouvrir CDAP.");
      let res = await submit(page, form.getByRole('button', { name: 'Envoyer au centre de services' }), '/incidents');
      assert.equal(res.status(), 303, `reporting; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('status').first().innerText(), /Incident transmis au centre de services/);
      const incidentPath = new URL(page.url()).pathname;
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      await signIn(page, 'caf.admin', DEMO_PASSWORD);
      await page.goto(url(incidentPath));
      const qualify = page.locator(`form[action="${incidentPath}/qualify"]`);
      await qualify.getByLabel('Équipe').fill('Habilitations');
      res = await submit(page, qualify.getByRole('button', { name: 'Orienter vers cette équipe' }), `${incidentPath}/qualify`);
      assert.equal(res.status(), 303, `qualifying; got ${await describePage(page, res)}`);
      const reply = page.locator(`form[action="${incidentPath}/message"]`);
      await reply.getByLabel('Message').fill("Le compte de l'agent était suspendu ; il est réactivé.");
      res = await submit(page, reply.getByRole('button', { name: 'Envoyer' }), `${incidentPath}/message`);
      assert.equal(res.status(), 303, `answering; got ${await describePage(page, res)}`);
      const close = page.locator(`form[action="${incidentPath}/close"]`);
      await close.getByLabel('Ce qui a été fait').fill('Compte réactivé.');
      res = await submit(page, close.getByRole('button', { name: 'Clore' }), `${incidentPath}/close`);
      assert.equal(res.status(), 303, `closing; got ${await describePage(page, res)}`);
      assert.match(await page.locator('main').innerText(), /Clos/);
      await page.screenshot({ path: path.join(RESULTS, 'incident-closed.png'), fullPage: true });
      await axeCheck(page, 'journey: incident-closed');
      await submit(page, page.getByRole('button', { name: 'Se déconnecter' }), '/logout');

      await signIn(page, 'mons.agent', DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Assistance' }).click();
      assert.match(await page.locator('main').innerText(), /Claire Martin/);
    });
  });

  test('a person\'s page: a refused form lists every error and takes the focus; the identity is changed; the history tells it; tables reflow at 320 px', async () => {
    await inContext('person-page', {}, async (page) => {
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: "Habilitations de l'organisme" }).click();
      await rightsSection(page, 'Utilisateurs');
      assert.equal(await page.getByRole('navigation', { name: 'Parties de la page des habilitations' }).locator('[aria-current="page"]').innerText(), 'Utilisateurs');
      // Two fields wrong at once: both are named, each next to its input, the summary has the focus.
      await page.getByText('Créer un utilisateur').click();
      const uform = page.locator('form[action="/partner/users"]');
      await uform.getByLabel('Nom', { exact: true }).fill('Roux');
      await uform.getByLabel('Adresse électronique').fill('pas-une-adresse');
      let res = await submit(page, uform.getByRole('button', { name: 'Créer le compte et envoyer le lien' }), '/partner/users');
      assert.equal(res.status(), 422, `two refused fields; got ${await describePage(page, res)}`);
      const summary = page.getByRole('alert');
      assert.equal(await summary.locator('li').count(), 2, `both errors listed: ${await summary.innerText()}`);
      assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('error-summary')), true, 'the summary has the focus');
      assert.equal(await page.locator('#u-first_name').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.locator('#u-email').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.locator('#u-email').inputValue(), 'pas-une-adresse', 'what was typed is kept');
      await summary.getByRole('link').nth(1).click();
      assert.equal(await page.evaluate(() => document.activeElement.id), 'u-email', 'a summary link leads to its field');
      await page.screenshot({ path: path.join(RESULTS, 'form-errors.png'), fullPage: true });
      await axeCheck(page, 'journey: form-errors');

      // Karim's page: his identity changed, then his history tells it.
      await page.goto(url('/partner/rights/people'));
      await page.getByRole('link', { name: 'Karim Haddad', exact: true }).click();
      assert.equal((await page.locator('h1').innerText()).trim(), 'Karim Haddad');
      await page.getByText("Modifier l'identité").click();
      await page.getByLabel('Fonction').fill("Agent d'accueil");
      const action = new URL(await page.locator('form[action$="/edit"]').getAttribute('action'), url('/')).pathname;
      res = await submit(page, page.getByRole('button', { name: 'Enregistrer les modifications' }), action);
      assert.equal(res.status(), 303, `editing; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('status').innerText(), /Identité enregistrée/);
      assert.match(await page.locator('main').innerText(), /Agent d'accueil/);
      await page.getByRole('navigation', { name: 'Parties de la fiche de la personne' }).getByRole('link', { name: 'Historique' }).click();
      assert.match(await page.locator('main table').innerText(), /Modification d'un utilisateur/);
      await page.screenshot({ path: path.join(RESULTS, 'person-history.png'), fullPage: true });
      await axeCheck(page, 'journey: person-history');

      // At 320 px the grants table reflows: nothing scrolls sideways (WCAG 1.4.10).
      await page.setViewportSize({ width: 320, height: 800 });
      for (const p of ['/partner/rights/grants', '/partner/rights/people', '/partner/rights/mandates']) {
        await page.goto(url(p));
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= 320, `${p} fits 320 px (scroll width ${wide})`);
      }
      await page.screenshot({ path: path.join(RESULTS, 'rights-320px.png'), fullPage: true });
      await axeCheck(page, 'journey: rights-320px');
    });
  });

  test('a manager imports people from a spreadsheet file: a trial that changes nothing, then the real run, the report downloadable', async () => {
    await inContext('csv-import', {}, async (page) => {
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: "Habilitations de l'organisme" }).click();
      await page.getByRole('link', { name: 'Importer depuis un tableur (CSV)' }).click();
      await axeCheck(page, 'journey: import-form');
      await page.getByLabel('personne', { exact: true }).check();
      // What Excel writes: Windows-1252, semicolons, CRLF.
      const latin1 = Buffer.from('Prénom;Nom;Courriel;Fonction\r\nAgnès;Lefèvre;agnes.lefevre@mairie.invalid;Accueil\r\nJean;Sans;pas-une-adresse;\r\n', 'latin1');
      await page.getByLabel('Fichier CSV').setInputFiles({ name: 'agents.csv', mimeType: 'text/csv', buffer: latin1 });
      let res = await submit(page, page.getByRole('button', { name: "Essayer (rien n'est modifié)" }), '/partner/rights/import');
      assert.equal(res.status(), 200, `trial; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('status').innerText(), /2 ligne\(s\) : 1 seraient faites, 0 en partie, 0 déjà en place, 1 refusée/);
      assert.match(await page.locator('main').innerText(), /Windows-1252/);
      assert.match(await page.locator('#import-report').innerText(), /mons\.agnes\.lefevre/);
      await axeCheck(page, 'journey: import-trial');
      const href = await page.getByRole('link', { name: 'Télécharger le rapport' }).getAttribute('href');
      const report = Buffer.from(href.split('base64,')[1], 'base64').toString('utf8');
      assert.match(report, /^\ufeffLigne;Résultat;Détail\r\n2;serait faite;/);
      res = await submit(page, page.getByRole('button', { name: 'Importer pour de bon' }), '/partner/rights/import/run');
      assert.equal(res.status(), 200, `run; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('status').innerText(), /1 faites/);
      await page.screenshot({ path: path.join(RESULTS, 'import-report.png'), fullPage: true });
      await axeCheck(page, 'journey: import-report');
      await page.goto(url('/partner/rights/people'));
      assert.match(await page.locator('main').innerText(), /Agnès Lefèvre/);
    });
  });

  test('the administrator creates a directory token, a directory provisions a person with it, the token is revoked', async () => {
    await inContext('scim-token', {}, async (page) => {
      await signIn(page, ADMIN_LOGIN, DEMO_PASSWORD);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: "Habilitations de l'organisme" }).click();
      await page.getByRole('link', { name: "Annuaire de l'organisme (SCIM)" }).click();
      await axeCheck(page, 'journey: scim-tokens');
      await page.getByLabel('Nom du jeton (pour le reconnaître)').fill('Entra ID de la mairie');
      await page.getByLabel('Durée de validité en jours (1 à 365)').fill('90');
      let res = await submit(page, page.getByRole('button', { name: 'Créer le jeton' }), '/partner/directory-sync');
      assert.equal(res.status(), 201, `token; got ${await describePage(page, res)}`);
      const secret = (await page.locator('#scim-secret code').innerText()).trim();
      assert.match(secret, /^scim_/);
      await axeCheck(page, 'journey: scim-token-shown');
      const endpoint = (await page.locator('#scim-endpoint').innerText()).trim();
      // The directory, with the token: a person created as the portal's form would.
      const created = await fetch(`${endpoint}/Users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ndurand', name: { givenName: 'Nina', familyName: 'Durand' }, emails: [{ value: 'nina.durand@mairie.invalid' }], active: true }),
      });
      const createdText = await created.text();
      assert.equal(created.status, 201, createdText);
      assert.equal(JSON.parse(createdText).userName, 'mons.ndurand');
      await page.goto(url('/partner/rights/people'));
      assert.match(await page.locator('main').innerText(), /Nina Durand/);
      await page.goto(url('/partner/directory-sync'));
      assert.match(await page.locator('#scim-tokens').innerText(), /Entra ID de la mairie/);
      const revokeAction = await page.locator('#scim-tokens form').first().getAttribute('action');
      res = await submit(page, page.getByRole('button', { name: 'Révoquer : Entra ID de la mairie' }), revokeAction);
      assert.equal(res.status(), 200, `revoke; got ${await describePage(page, res)}`);
      assert.match(await page.getByRole('status').innerText(), /révoqué/);
      const refused = await fetch(`${endpoint}/Users`, { headers: { Authorization: `Bearer ${secret}` } });
      assert.equal(refused.status, 401);
    });
  });

  test('every role\'s pages pass axe-core (WCAG 2.1 A and AA), and each role\'s home is kept as a screenshot', async () => {
    const visits = {
      'caf.admin': ['/', '/caisse/partners', '/caisse/supervision', '/caisse/services', '/caisse/staff', '/directory', '/caisse/clients', '/caisse/reviews', '/caisse/alerts', '/caisse/alerts/rules', '/incidents', '/caisse/outages', '/caisse/outbox'],
      'caf.auditor': ['/', '/traces', '/traces?show=all', '/caisse/alerts'],
      'mons.admin': ['/', '/partner/rights', '/partner/rights/grants', '/partner/rights/people', '/partner/rights/groups', '/partner/rights/mandates', '/partner/rights/queries', '/partner/rights/import', '/partner/directory-sync', '/partner/contract', '/partner/administrator-change', '/partner/reviews', '/traces', '/incidents', '/help', '/access-requests'],
      'mons.manager': ['/', '/partner/rights', '/partner/rights/people', '/incidents', '/help'],
      'mons.agent': ['/', '/help', '/access-requests', '/account/second-factor', '/password'],
    };
    let pages = 0;
    const narrow = [];
    const tooWide = [];
    for (const [login, paths] of Object.entries(visits)) {
      await inContext(`axe-${login}`, {}, async (page) => {
        await signIn(page, login, DEMO_PASSWORD);
        for (const p of paths) {
          const res = await page.goto(url(p));
          assert.equal(res.status(), 200, `${login} opens ${p}`);
          await axeCheck(page, `${login} ${p}`);
          pages += 1;
          // And at 320 px nothing scrolls sideways (WCAG 1.4.10).
          await page.setViewportSize({ width: 320, height: 800 });
          const wide = await page.evaluate(() => document.documentElement.scrollWidth);
          narrow.push(`${login} ${p}: ${wide}`);
          if (wide > 320) tooWide.push(`${login} ${p}: ${wide} px`);
          await page.setViewportSize({ width: 1280, height: 720 });
        }
        if (login === 'caf.admin') {
          // A partner's file, each of its sub-pages.
          await page.goto(url('/caisse/partners'));
          await page.getByRole('link', { name: /Mairie de Mons/ }).click();
          for (const part of ['Identité et services', 'Convention, contrat de service et avenants', 'Administrateurs du partenaire', "Interlocuteurs de l'organisme"]) {
            await partnerSection(page, part);
            assert.equal(await page.getByRole('navigation', { name: 'Parties du dossier du partenaire' }).locator('[aria-current="page"]').innerText(), part);
            await axeCheck(page, `${login} partner file: ${part}`);
            pages += 1;
          }
        }
        if (login === 'mons.admin') {
          // A person's page and its history tab.
          await page.goto(url('/partner/rights/people'));
          await page.getByRole('link', { name: 'Karim Haddad', exact: true }).click();
          await axeCheck(page, `${login} a person's page`);
          await page.getByRole('navigation', { name: 'Parties de la fiche de la personne' }).getByRole('link', { name: 'Historique' }).click();
          await axeCheck(page, `${login} a person's history`);
          pages += 2;
        }
        await page.goto(url('/'));
        await page.screenshot({ path: path.join(RESULTS, `home-${login.replace('.', '-')}.png`), fullPage: true });
      });
    }
    await inContext('axe-anonymous', {}, async (page) => {
      for (const p of ['/login', '/login?lang=en']) {
        await page.goto(url(p));
        await axeCheck(page, `anonymous ${p}`);
        pages += 1;
      }
      // The check can fail: an image without a text alternative is caught.
      await page.evaluate(() => document.querySelector('main').insertAdjacentHTML('beforeend', '<img src="/static/favicon.svg">'));
      await assert.rejects(axeCheck(page, 'a page spoilt on purpose'), /image-alt/);
    });
    assert.ok(pages >= 30, `${pages} pages checked`);
    assert.deepEqual(tooWide, [], `pages wider than 320 px: ${tooWide.join('; ')}`);
    assert.ok(narrow.length >= 30, `${narrow.length} pages measured at 320 px`);
  });

  test('an obsolete browser (Internet Explorer 11) gets no sign-in form', async () => {
    await inContext('obsolete-browser', { userAgent: IE11_UA }, async (page) => {
      const res = await page.goto(url('/login'));
      assert.ok(res, 'the page answered');
      assert.equal((await page.locator('h1').innerText()).trim(), 'Navigateur trop ancien');
      assert.equal(await page.locator('#password').count(), 0, 'no #password field');
      assert.equal(await page.locator('form[action="/login"]').count(), 0, 'no sign-in form');
    });
  });
});
