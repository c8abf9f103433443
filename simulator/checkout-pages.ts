// The buyer-facing side of checkout, served as HTML (not the signed API): the stand-in checkout.js
// with amazon.Pay.renderButton, the button's entry that verifies createCheckoutSessionConfig and
// creates the session (amazon-pay-checkout reference §7), and the buyer page at
// /checkout/processing?amazonCheckoutSessionId=… (webCheckoutDetails.amazonPayRedirectUrl, §6).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AmazonPayError } from './errors.js';
import { ButtonSignatureError, verifyButtonSignature } from './button-signature.js';
import { BuyerPageError, cancelAsBuyer, submitBuyerChoice } from './buyer-actions.js';
import { renderBuyerPage, renderMessagePage } from './buyer-page.js';
import { checkoutJs } from './checkout-js.js';
import { lookUpCheckoutSession } from './checkout-session-store.js';
import { createCheckoutSessionRecord } from './ops-checkout-sessions.js';
import { buyerPageUrl } from './render-checkout-session.js';
import { parseJsonObject } from './validation.js';
import type { SimulatorRuntime } from './runtime.js';

const PAGE_PATHS = ['/checkout.js', '/checkout/start', '/checkout/processing'];

export function isCheckoutPagePath(path: string): boolean {
  return PAGE_PATHS.includes(path);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store' });
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'content-length': 0 });
  res.end();
}

/** Query parameters, overlaid by an application/x-www-form-urlencoded body on POST. */
function formParams(url: URL, method: string, body: Buffer): URLSearchParams {
  const params = new URLSearchParams(url.search);
  if (method === 'POST') for (const [name, value] of new URLSearchParams(body.toString('utf8'))) params.set(name, value);
  return params;
}

export function handleCheckoutPage(runtime: SimulatorRuntime, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST') {
    sendHtml(res, 405, renderMessagePage('Not allowed', `${method} is not supported here; use GET or POST.`));
    return;
  }
  const params = formParams(url, method, body);
  if (url.pathname === '/checkout.js') {
    const js = checkoutJs(runtime.engine.baseUrl, runtime.engine.options.merchantId);
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'content-length': Buffer.byteLength(js) });
    res.end(js);
  } else if (url.pathname === '/checkout/start') startFromButton(runtime, params, res);
  else buyerPage(runtime, url, method, params, res);
}

/** The button's click: verify the signature strictly before any session exists (§7.3), then create it. */
function startFromButton(runtime: SimulatorRuntime, params: URLSearchParams, res: ServerResponse): void {
  const config = {
    payloadJSON: params.get('payloadJSON') ?? '',
    signature: params.get('signature') ?? '',
    publicKeyId: params.get('publicKeyId') ?? '',
    algorithm: params.get('algorithm') ?? undefined,
  };
  try {
    verifyButtonSignature(config, (id) => runtime.lookupPublicKey(id));
    const environment = config.publicKeyId.toUpperCase().startsWith('LIVE') ? 'Live' : 'Sandbox';
    const session = createCheckoutSessionRecord(runtime.engine, environment, parseJsonObject(config.payloadJSON), 'button');
    const processOrder = session.webCheckoutDetails.checkoutMode === 'ProcessOrder';
    redirect(res, `${buyerPageUrl(runtime.engine.baseUrl, session.checkoutSessionId)}${processOrder ? '' : '&step=signin'}`);
  } catch (error) {
    if (error instanceof ButtonSignatureError) {
      sendHtml(
        res,
        400,
        renderMessagePage(
          'Amazon Pay button refused',
          `The button's createCheckoutSessionConfig was refused: ${error.message}. No Checkout Session was created.`,
        ),
      );
    } else if (error instanceof AmazonPayError) {
      sendHtml(
        res,
        400,
        renderMessagePage('Amazon Pay button refused', `The button's payloadJSON is not a valid Checkout Session: ${error.reasonCode}: ${error.message}`),
      );
    } else throw error;
  }
}

function buyerPage(runtime: SimulatorRuntime, url: URL, method: string, params: URLSearchParams, res: ServerResponse): void {
  const id = params.get('amazonCheckoutSessionId') ?? '';
  const session = lookUpCheckoutSession(runtime.engine, id);
  if (!session) {
    sendHtml(res, 404, renderMessagePage('Checkout not found', `There is no checkout ${JSON.stringify(id)}; return to the merchant's site.`));
    return;
  }
  const signInStep = params.get('step') === 'signin';
  const action = `${url.pathname}${url.search}`;
  try {
    if (method === 'POST') {
      const target =
        params.get('action') === 'cancel'
          ? cancelAsBuyer(runtime.engine, session)
          : submitBuyerChoice(runtime.engine, session, { cardSuffix: params.get('cardSuffix'), save: params.get('save'), signInStep });
      redirect(res, target);
      return;
    }
    if (session.state !== 'Open')
      throw new BuyerPageError(409, `This checkout is ${session.state}${session.reasonCode ? ` (${session.reasonCode})` : ''}; return to the merchant's site.`);
    sendHtml(res, 200, renderBuyerPage(session, { action, signInStep }));
  } catch (error) {
    if (!(error instanceof BuyerPageError)) throw error;
    const html =
      session.state === 'Open' ? renderBuyerPage(session, { action, signInStep, error: error.message }) : renderMessagePage('Checkout closed', error.message);
    sendHtml(res, error.status, html);
  }
}
