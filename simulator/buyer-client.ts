// What a buyer's browser does on the simulator's buyer page, as plain form posts: for tests and
// demos that need an approved (or canceled) Checkout Session without driving a browser.

export interface BuyerPageAnswer {
  /** 303 on success (then `location` is the merchant's return URL with amazonCheckoutSessionId). */
  status: number;
  location: string | null;
  /** The page shown instead of a redirect (it says what was wrong). */
  html: string;
}

/** Posts the buyer page's form at `pageUrl` (webCheckoutDetails.amazonPayRedirectUrl) without following the redirect. */
export async function postBuyerPage(pageUrl: string, fields: Readonly<Record<string, string>>): Promise<BuyerPageAnswer> {
  const response = await fetch(pageUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, location: response.headers.get('location'), html: await response.text() };
}

/**
 * The buyer picks sandbox card `cardSuffix` (default 1111) and, for Recurring / PaymentMethodOnFile
 * sessions, agrees (`save: true`) or not to saving it. Returns the return URL the buyer is sent
 * to; throws with the page's message when the page refuses.
 */
export async function approveAsBuyer(pageUrl: string, choice: { cardSuffix?: string; save?: boolean } = {}): Promise<string> {
  const answer = await postBuyerPage(pageUrl, { cardSuffix: choice.cardSuffix ?? '1111', save: choice.save === false ? 'no' : 'yes' });
  if (answer.status !== 303 || !answer.location) {
    const message = /role="alert">([^<]*)</.exec(answer.html)?.[1] ?? `HTTP ${answer.status}`;
    throw new Error(`the buyer page refused: ${message}`);
  }
  return answer.location;
}

/** The buyer cancels on the page; returns the URL the buyer is sent back to. */
export async function cancelAsBuyerOnPage(pageUrl: string): Promise<string> {
  const answer = await postBuyerPage(pageUrl, { action: 'cancel' });
  if (answer.status !== 303 || !answer.location) throw new Error(`the buyer page refused to cancel: HTTP ${answer.status}`);
  return answer.location;
}
