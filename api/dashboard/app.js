// The billing dashboard's page script: reads GET /v1/dashboard with the API key kept in this tab
// (sessionStorage) and draws it with Chart.js. Text from the server goes in with textContent only.
'use strict';
(function () {
  const KEY = 'billing-dashboard-key';
  const $ = (id) => document.getElementById(id);
  const charts = {};

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // Exact minor units (a decimal string) to a decimal text with the currency's digits: no float.
  function money(minor, currency) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    } catch {
      // Not a currency Intl knows: two digits, as most currencies have.
    }
    const negative = minor.startsWith('-');
    const abs = (negative ? minor.slice(1) : minor).padStart(digits + 1, '0');
    const whole = abs.slice(0, abs.length - digits).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return `${negative ? '-' : ''}${whole}${digits > 0 ? '.' + abs.slice(abs.length - digits) : ''} ${currency}`;
  }

  function age(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    if (seconds < 120) return `${seconds} s`;
    if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
    if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
    return `${(seconds / 86400).toFixed(1)} d`;
  }

  const hourLabel = (iso) => iso.slice(5, 13).replace('T', ' ') + 'h';
  const HISTORY_HOURS = 48;
  const utcHours = { display: true, text: 'hour (UTC)' };

  // Every clock hour of the last HISTORY_HOURS up to the report's (ISO strings, oldest first):
  // the server sends only hours with charges, and an hour without any must still show as one.
  function lastHours(generatedAt) {
    const end = Math.floor(Date.parse(generatedAt) / 3_600_000) * 3_600_000;
    return Array.from({ length: HISTORY_HOURS }, (_, i) => new Date(end - (HISTORY_HOURS - 1 - i) * 3_600_000).toISOString());
  }

  // Rows keyed by their hour, on the full axis of hours: `empty` where an hour has no row.
  function onHours(hours, rows, value, empty) {
    const byHour = new Map(rows.map((r) => [new Date(r.hourStart).toISOString(), r]));
    return hours.map((h) => (byHour.has(h) ? value(byHour.get(h)) : empty));
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart($(id), config);
    $(id).dataset.points = String(config.data.datasets.reduce((n, d) => n + d.data.length, 0));
  }

  function row(cells) {
    const tr = el('tr');
    for (const [text, cls] of cells) {
      const td = el('td', undefined, cls);
      if (text instanceof Node) td.appendChild(text);
      else td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }

  function render(d) {
    $('generated').textContent = `as of ${d.generatedAt}`;
    draw('statuses', {
      type: 'bar',
      data: {
        labels: d.statuses.map((s) => s.status),
        datasets: [{ label: 'subscriptions', data: d.statuses.map((s) => s.count), backgroundColor: '#ff9900' }],
      },
      options: { animation: false, plugins: { legend: { display: false } } },
    });
    const money$ = $('money').tBodies[0];
    money$.replaceChildren(
      ...d.money.map((m) =>
        row([
          [m.environment === 'live' ? m.currency : `${m.currency} (${m.environment})`],
          [money(m.capturedToday, m.currency), 'num'],
          [money(m.capturedThisMonth, m.currency), 'num'],
          [money(m.refundedThisMonth, m.currency), 'num'],
          [money(m.mrr, m.currency), 'num'],
        ]),
      ),
    );
    $('attention-count').textContent = `(${d.attention.length})`;
    $('attention').tBodies[0].replaceChildren(
      ...d.attention.map((a) => {
        let id = a.subscriptionId;
        if (a.workflowUrl) {
          id = el('a', a.subscriptionId);
          id.href = a.workflowUrl;
          id.target = '_blank';
          id.rel = 'noopener';
        }
        return row([[id], [a.status], [a.reason || '—'], [a.since.replace('T', ' ').slice(0, 19) + ' UTC'], [age(a.ageSeconds), 'num']]);
      }),
    );
    const outcomeKinds = [
      ['captured', 'captured', '#2e7d32'],
      ['declinedSoft', 'declined (soft)', '#f9a825'],
      ['declinedHard', 'declined (hard)', '#c62828'],
      ['pending', 'pending', '#1565c0'],
      ['throttled', 'throttled', '#6a1b9a'],
      ['failed', 'failed', '#455a64'],
    ];
    const history = lastHours(d.generatedAt);
    draw('outcomes', {
      type: 'bar',
      data: {
        labels: history.map(hourLabel),
        datasets: outcomeKinds.map(([key, label, color]) => ({ label, data: onHours(history, d.outcomes, (o) => o[key], 0), backgroundColor: color })),
      },
      options: {
        animation: false,
        scales: { x: { stacked: true, title: utcHours }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'charges' } } },
      },
    });
    draw('lag', {
      type: 'line',
      data: {
        labels: history.map(hourLabel),
        // No charge in an hour: no lag to draw (a gap, not a zero).
        datasets: [
          { label: 'average (s)', data: onHours(history, d.lag, (l) => l.averageSeconds, null), borderColor: '#1565c0' },
          { label: 'max (s)', data: onHours(history, d.lag, (l) => l.maxSeconds, null), borderColor: '#c62828' },
        ],
      },
      options: {
        animation: false,
        scales: { x: { title: utcHours }, y: { beginAtZero: true, title: { display: true, text: 'seconds from due to charged' } } },
      },
    });
    const hours = d.forecast.hours;
    draw('forecast', {
      data: {
        labels: hours.map((h) => hourLabel(h.hourStart)),
        datasets: [
          { type: 'bar', label: 'charges due', data: hours.map((h) => h.due), backgroundColor: '#ff9900' },
          { type: 'bar', label: 'backlog at the hour start', data: hours.map((h) => h.backlogAtStart), backgroundColor: '#c62828' },
          {
            type: 'line',
            label: `sendable per hour: ${d.forecast.limit.limitedBy === 'quota' ? 'the quota' : "the daemon's throughput"}`,
            data: hours.map((h) => h.capacity),
            borderColor: '#232f3e',
            pointRadius: 0,
          },
        ],
      },
      // One axis for what is due and what can be sent, so a bar above the line is an hour over
      // capacity (two axes made a bar at 8 % of capacity look like overload). What can be sent is
      // usually far above an hour's charges: a logarithmic axis keeps both readable.
      options: {
        animation: false,
        scales: {
          x: { title: utcHours },
          // From 0.5, so that an hour with one charge due still shows a bar.
          y: {
            type: 'logarithmic',
            min: 0.5,
            // Whole charges only (the axis would label 0.5 and 1,000.0).
            ticks: { callback: (value) => (value >= 1 && Number.isInteger(value) ? value.toLocaleString('en-US') : null) },
            title: { display: true, text: 'charges per hour (logarithmic)' },
          },
        },
      },
    });
    // Which limit the forecast runs at (quota or the daemon's measured throughput) and from what evidence.
    $('forecast-limit').textContent = d.forecast.limit.summary;
    $('peaks').replaceChildren(
      ...(d.forecast.peaks.length === 0
        ? [el('p', `No peak: every charge is sent within ${age(Math.round(d.forecast.minPeakLatenessSeconds))} of its due time.`, 'muted')]
        : d.forecast.peaks.map((p) =>
            el(
              'p',
              `${p.charges} charge(s) from ${p.startsAt.slice(0, 16).replace('T', ' ')} UTC: the last is sent at ${p.finishesAt.slice(0, 19).replace('T', ' ')} UTC; the latest is ${age(Math.round(p.maxLatenessSeconds))} after it is due.`,
              p.late ? 'warn' : undefined,
            ),
          )),
    );
    const b = d.backlogs;
    $('backlogs').tBodies[0].replaceChildren(
      row([['IPN inbox'], [String(b.ipnInbox.pending), 'num'], [String(b.ipnInbox.failed), 'num'], [age(b.ipnInbox.oldestPendingSeconds), 'num']]),
      row([
        ['webhook deliveries'],
        [String(b.webhookDeliveries.pending), 'num'],
        [String(b.webhookDeliveries.failed), 'num'],
        [age(b.webhookDeliveries.oldestPendingSeconds), 'num'],
      ]),
    );
  }

  async function load() {
    const key = sessionStorage.getItem(KEY);
    if (!key) {
      $('login').hidden = false;
      $('board').hidden = true;
      return;
    }
    const response = await fetch('/v1/dashboard', { headers: { authorization: `Bearer ${key}` } });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY);
      $('error').textContent = 'That API key was refused.';
      $('login').hidden = false;
      // No figures are left on screen from a key that no longer works.
      $('board').hidden = true;
      delete document.body.dataset.loaded;
      return;
    }
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      $('error').textContent = `Could not load: ${problem.detail || response.status}`;
      return;
    }
    $('error').textContent = '';
    $('login').hidden = true;
    $('board').hidden = false;
    render(await response.json());
    document.body.dataset.loaded = 'true';
  }

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $('key').value.trim());
    load();
  });
  load();
  setInterval(() => {
    if (sessionStorage.getItem(KEY)) load();
  }, 60000);
})();
