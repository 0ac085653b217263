// RFC 4475 torture tests: every message with the RFC's verdict.
import { describe, expect, it } from 'vitest';
import { parseMessage, type ParseErrorReason, type SipMessage } from '../../src/sip/index.js';
import * as T from './torture/messages.js';

function ok(b: Buffer, strict = false, limits?: { maxVias: number }): SipMessage {
  const r = parseMessage(b, { strict, limits });
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}: ${r.detail}`);
  // Parse → serialize is byte-identical (up to discarded bytes past Content-Length).
  expect(r.message.serialize().equals(b.subarray(0, r.message.serialize().length))).toBe(true);
  return r.message;
}

function bad(b: Buffer, reason: ParseErrorReason, strict = false): Extract<ReturnType<typeof parseMessage>, { ok: false }> {
  const r = parseMessage(b, { strict });
  if (r.ok) throw new Error(`expected ${reason}, got ok`);
  expect(r.reason).toBe(reason);
  expect(typeof r.detail).toBe('string');
  return r;
}

describe('RFC 4475 §3.1.1 valid messages', () => {
  it('§3.1.1.1 A Short Tortuous INVITE (wsinv)', () => {
    const m = ok(T.wsinv, true);
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    expect(m.to()?.tag).toBe('1918181833n');
    expect(m.to()?.rawUri).toBe('sip:vivekg@chair-dnrc.example.com');
    expect(m.from()?.tag).toBe('98asjd8');
    expect(m.from()?.displayName).toBe('J Rosenberg \\"');
    expect(m.maxForwards()).toBe(68);
    expect(m.cseq()).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.callId()).toBe('wsinv.ndaksdj@192.0.2.1');
    const vias = m.vias();
    expect(vias.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.header('s')).toBe('');
    expect(m.header('Subject')).toBe('');
    expect(m.header('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.headerLines('UnknownHeaderWithUnusualValue')).toEqual([';;,,;;,;']);
    const route = m.nameAddrs('route');
    expect(route?.[0]?.uri?.params.has('lr')).toBe(true);
    const c = m.contacts()?.[0];
    expect(c?.displayName).toBe('Quoted string ""');
    expect(c?.params.get('newparam')).toBe('newvalue');
    expect(c?.params.get('secondparam')).toBe(null);
    expect(c?.params.get('q')).toBe('0.33');
    expect(m.body.length).toBe(150);
  });

  it('§3.1.1.2 Wide Range of Valid Characters (intmeth)', () => {
    const m = ok(T.intmeth, true);
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    const ru = m.requestUri();
    expect(ru?.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(ru?.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(m.to()?.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(m.from()?.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(m.from()?.tag).toBe("_token~1'+`*%!-.");
    expect(m.from()?.params.get("fromparam''~+*_!.-%")).toBe('"работающий"');
    expect(m.callId()).toBe("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    expect(m.maxForwards()).toBe(255);
    expect(m.header("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
  });

  it('§3.1.1.3 Valid Use of the % Escaping Mechanism (esc01)', () => {
    const m = ok(T.esc01, true);
    expect(m.requestUri()?.user).toBe('sips%3Auser%40example.com');
    expect(m.requestUri()?.host).toBe('example.net');
    expect(m.from()?.uri?.user).toBe('I%20have%20spaces');
    expect(m.header('content-type')).toBe('application/sdp');
    expect(m.contacts()?.[0]?.uri?.params.get('n%61me')).toBe('v%61lue%25%34%31');
  });

  it('§3.1.1.4 Escaped Nulls in URIs (escnull)', () => {
    const m = ok(T.escnull, true);
    expect(m.to()?.uri?.user).toBe('null-%00-null');
    expect(m.contacts()?.map((c) => c.uri?.user)).toEqual(['%00', '%00%00']);
  });

  it('§3.1.1.5 Use of % When It Is Not an Escape (esc02)', () => {
    const m = ok(T.esc02, true);
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.to()?.displayName).toBe('%Z%45');
    expect(m.topVia()?.branch).toBe('z9hG4bK209%fzsnel234');
    // C%6Fntact is an unknown header, not a Contact.
    expect(m.headerValues('contact')).toHaveLength(2);
    expect(m.header('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
  });

  it('§3.1.1.6 Message with No LWS between Display Name and < (lwsdisp)', () => {
    const m = ok(T.lwsdisp, true);
    expect(m.from()?.displayName).toBe('caller');
    expect(m.from()?.tag).toBe('323');
  });

  it('§3.1.1.7 Long Values in Header Fields (longreq): 34 Vias exceed our default of 32', () => {
    // Deliberate divergence: the default Via limit refuses it; a raised limit accepts it.
    expect(bad(T.longreq, 'too_many_vias').canReply).toBe(true);
    const m = ok(T.longreq, true, { maxVias: 64 });
    expect(m.vias()).toHaveLength(34);
    expect(m.vias()[0]?.host).toBe('sip33.example.com');
    expect(m.vias()[33]?.received).toBe('192.0.2.5');
    expect(m.from()?.tag).toBe('12' + '982'.repeat(50) + '424');
    expect(m.to()?.uri?.port).toBe(6000);
    expect(m.body.length).toBe(150);
  });

  it('§3.1.1.8 Extra Trailing Octets in a UDP Datagram (dblreq)', () => {
    const r = parseMessage(T.dblreq);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message.method).toBe('REGISTER');
    expect(r.message.body.length).toBe(0);
    // The trailing INVITE is discarded (RFC 3261 §18.3).
    expect(r.message.serialize().toString('latin1')).not.toContain('INVITE');
  });

  it('§3.1.1.9 Semicolon-Separated Parameters in URI User Part (semiuri)', () => {
    const m = ok(T.semiuri, true);
    expect(m.requestUri()?.user).toBe('user;par=u%40example.net');
    expect(m.requestUri()?.host).toBe('example.com');
    expect(m.headerValues('accept')).toEqual([
      'application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag',
    ]);
  });

  it('§3.1.1.10 Varied and Unknown Transport Types (transports)', () => {
    const m = ok(T.transports, true);
    expect(m.vias().map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    expect(m.callId()).toBe('transports.kijh4akdnaqjkwendsasfdj');
  });

  it('§3.1.1.11 Multipart MIME Message (mpart01, binary body)', () => {
    const m = ok(T.mpart01, true);
    expect(m.body.length).toBe(Number(m.header('content-length')));
    expect(m.body.includes(Buffer.from([0, 1, 2, 3]))).toBe(true);
    expect(m.topVia()?.rport).toBe(null);
  });

  it('§3.1.1.12 Unusual Reason Phrase (unreason)', () => {
    const m = ok(T.unreason, true);
    expect(m.status).toBe(200);
    expect(m.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
  });

  it('§3.1.1.13 Empty Reason Phrase (noreason)', () => {
    const m = ok(T.noreason, true);
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
  });
});

describe('RFC 4475 §3.1.2 invalid messages', () => {
  it('§3.1.2.1 Extraneous Header Field Separators (badinv01)', () => {
    expect(bad(T.badinv01, 'bad_via').canReply).toBe(false);
  });
  it('§3.1.2.2 Content Length Larger Than Message (clerr)', () => {
    const r = bad(T.clerr, 'body_truncated');
    expect(r.canReply).toBe(true);
  });
  it('§3.1.2.3 Negative Content-Length (ncl)', () => {
    expect(bad(T.ncl, 'bad_content_length').canReply).toBe(true);
  });
  it('§3.1.2.4 Request Scalar Fields with Overlarge Values (scalar02)', () => {
    expect(bad(T.scalar02, 'bad_cseq').canReply).toBe(true);
  });
  it('§3.1.2.5 Response Scalar Fields with Overlarge Values (scalarlg)', () => {
    expect(bad(T.scalarlg, 'bad_cseq').canReply).toBe(false); // a response: never answered
  });
  it('§3.1.2.6 Unterminated Quoted String in Display Name (quotbal)', () => {
    expect(bad(T.quotbal, 'bad_header', true).canReply).toBe(true);
    const r = parseMessage(T.quotbal);
    expect(r.ok && r.message.to()).toBe(undefined); // lazy mode: the accessor says malformed
  });
  it('§3.1.2.7 <> Enclosing Request-URI (ltgtruri)', () => {
    expect(bad(T.ltgtruri, 'bad_uri').canReply).toBe(true);
  });
  it('§3.1.2.8 Malformed SIP Request-URI (embedded LWS) (lwsruri)', () => {
    bad(T.lwsruri, 'bad_start_line');
  });
  it('§3.1.2.9 Multiple SP Separating Request-Line Elements (lwsstart)', () => {
    bad(T.lwsstart, 'bad_start_line');
  });
  it('§3.1.2.10 SP Characters at End of Request-Line (trws)', () => {
    bad(T.trws, 'bad_start_line');
  });
  it('§3.1.2.11 Escaped Headers in SIP Request-URI (escruri)', () => {
    expect(bad(T.escruri, 'bad_uri').canReply).toBe(true);
  });
  it('§3.1.2.12 Invalid Time Zone in Date Header Field (baddate): accepted, Date is not ours to judge', () => {
    const m = ok(T.baddate, true);
    expect(m.header('date')).toBe('Fri, 01 Jan 2010 16:00:00 EST');
  });
  it('§3.1.2.13 Failure to Enclose name-addr URI in <> (regbadct)', () => {
    bad(T.regbadct, 'bad_header', true);
    const r = parseMessage(T.regbadct);
    expect(r.ok && r.message.contacts()).toBe(undefined);
  });
  it('§3.1.2.14 Spaces within addr-spec (badaspec)', () => {
    bad(T.badaspec, 'bad_header', true);
  });
  it('§3.1.2.15 Non-token Characters in Display Name (baddn)', () => {
    bad(T.baddn, 'bad_header', true);
  });
  it('§3.1.2.16 Unknown Protocol Version (badvers)', () => {
    const r = bad(T.badvers, 'bad_version');
    expect(r.canReply).toBe(true); // so a 505 can go back
    expect(r.partial?.header('call-id')).toBe('badvers.31417@c.example.com');
  });
  it('§3.1.2.17 Start Line and CSeq Method Mismatch (mismatch01)', () => {
    expect(bad(T.mismatch01, 'cseq_method_mismatch').canReply).toBe(true);
  });
  it('§3.1.2.18 Unknown Method with CSeq Method Mismatch (mismatch02)', () => {
    bad(T.mismatch02, 'cseq_method_mismatch');
  });
  it('§3.1.2.19 Overlarge Response Code (bigcode)', () => {
    bad(T.bigcode, 'bad_start_line');
  });
});

describe('RFC 4475 §3.2 transaction layer semantics', () => {
  it('§3.2.1 Missing Transaction Identifier (badbranch): valid syntax', () => {
    const m = ok(T.badbranch, true);
    expect(m.topVia()?.branch).toBe('z9hG4bK');
  });
});

describe('RFC 4475 §3.3 application layer semantics', () => {
  it('§3.3.1 Missing Required Header Fields (insuf)', () => {
    const r = bad(T.insuf, 'missing_header');
    expect(r.canReply).toBe(false);
  });
  it('§3.3.2 Request-URI with Unknown Scheme (unkscm)', () => {
    const m = ok(T.unkscm, true);
    expect(m.uri).toBe('nobodyKnowsThisScheme:totallyopaquecontent');
    expect(m.requestUri()).toBe(undefined);
  });
  it('§3.3.3 Request-URI with Known but Atypical Scheme (novelsc)', () => {
    expect(ok(T.novelsc, true).uri).toBe('soap.beep://192.0.2.103:3002');
  });
  it('§3.3.4 Unknown URI Schemes in Header Fields (unksm2)', () => {
    const m = ok(T.unksm2, true);
    expect(m.to()?.rawUri).toBe('isbn:2983792873');
    expect(m.to()?.uri).toBe(undefined);
    expect(m.from()?.rawUri).toBe('http://www.example.com');
    expect(m.contacts()?.[0]?.rawUri).toBe('name:John_Smith');
  });
  it('§3.3.5 Proxy-Require and Require (bext01)', () => {
    const m = ok(T.bext01, true);
    expect(m.headerValues('require')).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(m.headerValues('proxy-require')).toEqual(['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
  });
  it('§3.3.6 Unknown Content-Type (invut)', () => {
    expect(ok(T.invut, true).body.toString()).toContain('<pcmu port="443"/>');
  });
  it('§3.3.7 Unknown Authorization Scheme (regaut01)', () => {
    expect(ok(T.regaut01, true).header('authorization')).toBe('NoOneKnowsThisScheme opaque-data=here');
  });
  it('§3.3.8 Multiple Values in Single Value Required Fields (multi01)', () => {
    expect(bad(T.multi01, 'duplicate_header').canReply).toBe(true);
  });
  it('§3.3.9 Multiple Content-Length Values (mcl01)', () => {
    bad(T.mcl01, 'bad_content_length');
  });
  it('§3.3.10 200 OK Response with Broadcast Via Header Field Value (bcast): syntax is valid', () => {
    expect(ok(T.bcast, true).vias()[1]?.host).toBe('255.255.255.255');
  });
  it('§3.3.11 Max-Forwards of Zero (zeromf)', () => {
    expect(ok(T.zeromf, true).maxForwards()).toBe(0);
  });
  it('§3.3.12 REGISTER with a Contact Header Parameter (cparam01)', () => {
    const c = ok(T.cparam01, true).contacts()?.[0];
    expect(c?.params.has('unknownparam')).toBe(true); // a header param in addr-spec form
    expect(c?.uri?.params.size).toBe(0);
  });
  it('§3.3.13 REGISTER with a url-parameter (cparam02)', () => {
    const c = ok(T.cparam02, true).contacts()?.[0];
    expect(c?.uri?.params.has('unknownparam')).toBe(true);
    expect(c?.params.size).toBe(0);
  });
  it('§3.3.14 REGISTER with a URL Escaped Header (regescrt)', () => {
    const c = ok(T.regescrt, true).contacts()?.[0];
    expect(c?.uri?.headers.get('Route')).toBe('%3Csip:sip.example.com%3E');
  });
  it('§3.3.15 Unacceptable Accept Offering (sdp01)', () => {
    expect(ok(T.sdp01, true).header('accept')).toBe('text/nobodyKnowsThis');
  });
});

describe('RFC 4475 §3.4 backward compatibility', () => {
  it('§3.4.1 INVITE with RFC 2543 Syntax (inv2543)', () => {
    const m = ok(T.inv2543, true);
    expect(m.maxForwards()).toBe(70);
    expect(m.topVia()?.branch).toBe(undefined);
    expect(m.to()?.params.get('user')).toBe('phone'); // addr-spec: ;user=phone is a header param
    expect(m.body.length).toBe(T.inv2543.length - T.inv2543.indexOf('\r\n\r\n') - 4);
  });
});

describe('RFC 4475 every message never throws in any mode', () => {
  for (const [name, b] of Object.entries(T)) {
    if (!Buffer.isBuffer(b)) continue;
    it(name, () => {
      for (const stream of [false, true]) for (const strict of [false, true]) expect(() => parseMessage(b, { stream, strict })).not.toThrow();
    });
  }
});
