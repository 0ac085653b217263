// Real-world shaped SDP bodies. Keys and addresses are made up but laid out the
// way each peer writes them (line order, spacing, line endings).

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

/** SIPp's built-in uac scenario (addresses filled in). */
export const SIPP = crlf([
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
]);

/** baresip 1.x offering SDES-SRTP with ICE (media-level candidates, session-level ice options). */
export const BARESIP = crlf([
  'v=0',
  'o=- 1474843458 2876404520 IN IP4 192.168.1.20',
  's=-',
  'c=IN IP4 192.168.1.20',
  't=0 0',
  'a=tool:baresip 1.0.0',
  'a=ice-options:trickle',
  'm=audio 10370 RTP/SAVP 96 0 8 101',
  'b=AS:96',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1;sprop-stereo=1',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'a=label:1',
  'a=rtcp-rsize',
  'a=ptime:20',
  'a=ice-ufrag:eTDb',
  'a=ice-pwd:v7Ao1FmsuLpzQLm2hPeaN4',
  'a=candidate:1 1 UDP 2113932031 192.168.1.20 10370 typ host',
  'a=candidate:1 2 UDP 2113932030 192.168.1.20 10371 typ host',
  'a=candidate:2 1 UDP 1677721855 203.0.113.7 10370 typ srflx raddr 192.168.1.20 rport 10370',
  'a=end-of-candidates',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31',
  'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^31',
]);

/** A browser-style offer: BUNDLE, rtcp-mux, candidates, an RFC 3605 a=rtcp with address, SAVPF. */
export const WEBRTC = crlf([
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=msid-semantic: WMS stream0',
  'm=audio 54400 RTP/SAVPF 111 103 0 8 126',
  'c=IN IP4 198.51.100.10',
  'a=rtcp:54400 IN IP4 198.51.100.10',
  'a=candidate:842163049 1 udp 1677729535 198.51.100.10 54400 typ srflx raddr 10.0.0.5 rport 54400 generation 0 network-cost 999',
  'a=candidate:3885250869 1 udp 2122260223 10.0.0.5 54400 typ host generation 0',
  'a=ice-ufrag:Oyef',
  'a=ice-pwd:7OhTh4vhSMkSSnKaqRXRoXGo',
  'a=ice-options:trickle renomination',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=sendrecv',
  'a=msid:stream0 track0',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:103 ISAC/16000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:1001 cname:xyz',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31|1:1',
  'm=video 54400 RTP/SAVPF 96',
  'c=IN IP4 198.51.100.10',
  'a=rtcp:54400 IN IP4 198.51.100.10',
  'a=ice-ufrag:Oyef',
  'a=ice-pwd:7OhTh4vhSMkSSnKaqRXRoXGo',
  'a=mid:1',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtpmap:96 VP8/90000',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^31|1:1',
]);

/** A PBX putting the call on hold in a re-INVITE (RFC 3264 §8.4). */
export const HOLD = crlf([
  'v=0',
  'o=FreeSWITCH 1700000000 1700000001 IN IP4 10.1.2.3',
  's=FreeSWITCH',
  'c=IN IP4 10.1.2.3',
  't=0 0',
  'm=audio 30000 RTP/AVP 8 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendonly',
  'a=rtcp:30001 IN IP4 10.1.2.3',
]);

/** An RFC 2543 style hold: the connection address is 0.0.0.0. */
export const OLD_HOLD = crlf([
  'v=0',
  'o=cisco 2890844526 2890844527 IN IP4 10.1.2.4',
  's=SIP Call',
  'c=IN IP4 0.0.0.0',
  't=0 0',
  'm=audio 16384 RTP/AVP 18 101',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
]);

/** An answer accepting audio and rejecting video (port 0, RFC 3264 §6). */
export const REJECTED = crlf([
  'v=0',
  'o=bob 2808844564 2808844564 IN IP4 10.20.30.40',
  's= ',
  'c=IN IP4 10.20.30.40',
  't=0 0',
  'm=audio 49174 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'm=video 0 RTP/AVP 31',
  'a=rtpmap:31 H261/90000',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz',
]);

/** IPv6 everywhere, with a media-level c= that differs from the session one. */
export const IPV6 = crlf([
  'v=0',
  'o=alice 2890844526 2890844526 IN IP6 2001:db8::1',
  's=-',
  'c=IN IP6 2001:db8::1',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 101',
  'c=IN IP6 2001:db8::2',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
]);

/** LF-only, with an unknown line type, odd spacing, and no final newline. */
export const SLOPPY = [
  'v=0',
  'o=- 1 1 IN IP4 192.0.2.1',
  's=-',
  'i=A session with  UTF-8 — and unknown lines',
  'c=IN IP4 192.0.2.1',
  't=0 0',
  'x=something private',
  'm=audio  4000 RTP/AVP  0',
  'a=X-nat:0',
  'a=sendrecv',
].join('\n');

export const MULTIPART_BOUNDARY = 'unique-boundary-1';
export const MULTIPART_CT = `multipart/mixed;boundary=${MULTIPART_BOUNDARY}`;
/** SIP-I style: SDP next to an ISUP IAM (binary part), RFC 3204. */
export const MULTIPART = Buffer.concat([
  Buffer.from(
    `--${MULTIPART_BOUNDARY}\r\n` +
      'Content-Type: application/sdp\r\n' +
      '\r\n' +
      SIPP +
      `\r\n--${MULTIPART_BOUNDARY}\r\n` +
      'Content-Type: application/ISUP;version=itu-t92+\r\n' +
      'Content-Disposition: signal;handling=optional\r\n' +
      '\r\n',
    'latin1',
  ),
  Buffer.from([0x01, 0x00, 0x49, 0x00, 0x00, 0x03, 0x02, 0x00, 0x07, 0x04, 0x10, 0x00, 0x33, 0x63, 0x21, 0x43, 0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d]),
  Buffer.from(`\r\n--${MULTIPART_BOUNDARY}--\r\n`, 'latin1'),
]);

export const ALL: Record<string, string> = { SIPP, BARESIP, WEBRTC, HOLD, OLD_HOLD, REJECTED, IPV6, SLOPPY };
