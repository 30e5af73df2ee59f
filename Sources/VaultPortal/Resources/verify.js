// Checks every entry of the customer's access log in the browser, trusting nothing the page says:
// the checkpoint's Ed25519 signature against the vault's key (C2SP signed note), each entry's
// inclusion proof (RFC 9162) up to the signed root, and that the row shows what the signed entry says.
'use strict';

const te = new TextEncoder();

function fromBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

// A verifier key: name+hex(key id)+base64(type || Ed25519 public key); type 0x01 for the vault's
// signature, 0x04 for a witness's cosignature (C2SP tlog-cosignature).
function parseVerifierKey(text, type = 0x01) {
  // The name holds no '+', the key id is 8 hex digits; base64 may hold '+', so split twice only.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new Error('the verifier key is malformed');
  const parts = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  const material = fromBase64(parts[2]);
  if (material.length !== 33 || material[0] !== type) throw new Error('the verifier key is not an Ed25519 key of the expected kind');
  return { name: parts[0], id: parts[1], type, publicKey: material.slice(1) };
}

// The checkpoint note: origin, size, root (base64), a blank line, then signature lines.
async function verifyCheckpoint(note, key) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('the checkpoint is malformed');
  const body = note.slice(0, split + 1);
  const [origin, sizeText, rootText] = body.split('\n');
  const expectedID = (await sha256(concat(te.encode(key.name), new Uint8Array([0x0a, 0x01]), key.publicKey))).slice(0, 4);
  const publicKey = await crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
  let signed = false;
  for (const line of note.slice(split + 2).split('\n')) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match || match[1] !== key.name) continue;
    const blob = fromBase64(match[2]);
    if (blob.length !== 68 || !equal(blob.slice(0, 4), expectedID)) continue;
    if (await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, blob.slice(4), te.encode(body))) signed = true;
  }
  // The note must be this log's: its origin is the key's name.
  return { origin, size: Number(sizeText), root: fromBase64(rootText), signed: signed && origin === key.name };
}

// Whether `key` (a witness) cosigned the note: a line "— name base64(key id || time || signature)"
// whose Ed25519 signature covers "cosignature/v1\ntime <time>\n" followed by the note's body.
async function verifyCosignature(note, key) {
  const split = note.lastIndexOf('\n\n');
  const body = note.slice(0, split + 1);
  const expectedID = (await sha256(concat(te.encode(key.name), new Uint8Array([0x0a, 0x04]), key.publicKey))).slice(0, 4);
  const publicKey = await crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
  for (const line of note.slice(split + 2).split('\n')) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match || match[1] !== key.name) continue;
    const blob = fromBase64(match[2]);
    if (blob.length !== 76 || !equal(blob.slice(0, 4), expectedID)) continue;
    let time = 0n;
    for (const byte of blob.slice(4, 12)) time = (time << 8n) | BigInt(byte);
    const message = concat(te.encode('cosignature/v1\ntime ' + time.toString() + '\n'), te.encode(body));
    if (await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, blob.slice(12), message)) return true;
  }
  return false;
}

// RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
async function rootFromProof(index, size, leafHash, proof) {
  if (index >= size) return null;
  let fn = index, sn = size - 1, r = leafHash;
  for (const p of proof) {
    if (sn === 0 || p.length !== 32) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(new Uint8Array([1]), p, r));
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await sha256(concat(new Uint8Array([1]), r, p));
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

function mark(cell, verified, text) {
  cell.dataset.state = verified ? 'verified' : 'failed';
  cell.textContent = text;
}

async function run() {
  const main = document.querySelector('main[data-log]');
  if (!main) return;
  const status = document.getElementById('verify-status');
  const cells = document.querySelectorAll('tr[data-seq] td.check');
  try {
    if (!crypto.subtle) throw new Error('this browser has no WebCrypto');
    const key = parseVerifierKey(main.dataset.verifierKey);
    const response = await fetch(main.dataset.log, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error('the log could not be fetched (status ' + response.status + ')');
    const log = await response.json();
    const checkpoint = await verifyCheckpoint(log.checkpoint, key);
    const bySeq = new Map(log.entries.map((item) => [String(item.seq), item]));
    let good = 0, bad = 0;
    for (const cell of cells) {
      const row = cell.parentElement;
      const item = bySeq.get(row.dataset.seq);
      if (!checkpoint.signed) { mark(cell, false, 'not verified: the checkpoint is not signed by the vault key shown'); bad++; continue; }
      if (!item) { mark(cell, false, 'not verified: the vault gave no proof for this entry'); bad++; continue; }
      const leaf = fromBase64(item.leaf);
      const entry = JSON.parse(new TextDecoder().decode(leaf));
      // Every value the row shows must be the signed entry's, about this customer.
      const shown = row.dataset;
      const same = String(entry.seq) === shown.seq && entry.op === shown.op && entry.decision === shown.decision
        && entry.at === shown.at && entry.actor === shown.actor && entry.role === shown.role
        && (entry.purpose || '') === shown.purpose && (entry.fields || []).join(',') === shown.fields
        && entry.reason === shown.reason && entry.customer === main.dataset.customer;
      if (!same) {
        mark(cell, false, 'not verified: the page shows something other than the signed entry'); bad++; continue;
      }
      const root = await rootFromProof(item.seq, checkpoint.size, await sha256(concat(new Uint8Array([0]), leaf)), item.proof.map(fromBase64));
      if (root && equal(root, checkpoint.root)) { mark(cell, true, 'verified'); good++; }
      else { mark(cell, false, 'not verified: its proof does not lead to the signed log'); bad++; }
    }
    const witnessStatus = document.getElementById('witness-status');
    const witnessKeys = (main.dataset.witnessKeys || '').split(' ').filter((k) => k.length > 0);
    if (witnessStatus && witnessKeys.length > 0) {
      const names = [];
      for (const text of witnessKeys) {
        try {
          const key = parseVerifierKey(text, 0x04);
          if (checkpoint.signed && await verifyCosignature(log.checkpoint, key)) names.push(key.name);
        } catch (error) { /* a malformed key counts as not cosigned */ }
      }
      witnessStatus.textContent = names.length > 0
        ? 'Cosigned by ' + names.length + ' of ' + witnessKeys.length + ' witness(es): ' + names.join(', ') + '.'
        : 'No witness cosignature could be verified on this checkpoint: the log is vouched for by the vault alone.';
      main.dataset.witnessed = String(names.length);
    }
    status.textContent = bad === 0
      ? 'All ' + good + ' entries verified in your browser against the signed checkpoint of ' + checkpoint.size + ' entries.'
      : bad + ' of ' + (good + bad) + ' entries could not be verified: the log shown may have been changed.';
    main.dataset.verified = bad === 0 ? 'all' : 'some-failed';
  } catch (error) {
    for (const cell of cells) mark(cell, false, 'not verified');
    status.textContent = 'Your browser could not verify the log: ' + error.message;
    main.dataset.verified = 'error';
  }
}

document.addEventListener('DOMContentLoaded', run);
