import type { Socket } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResponseFlag } from '../response-flags.ts';
import { compileAccessLogs, FILE_ACCESS_LOG_TYPE_URL } from './access-log-config.ts';
import { flushAccessLogs } from './access-log-sink.ts';
import { compileFormatString, renderJsonValue, renderText } from './format-string.ts';
import { ISTIO_DEFAULT_FORMAT, ISTIO_DEFAULT_JSON_FORMAT } from './istio-format.ts';
import { formatStartTime } from './start-time.ts';
import type { StreamInfo } from './stream-info.ts';

function info(overrides: Partial<StreamInfo> = {}): StreamInfo {
  const start = performance.now() - 12;
  return {
    startTime: start,
    requestEndTime: start + 1,
    responseStartTime: start + 10,
    endTime: start + 12,
    responseFlags: 0,
    responseCode: 200,
    responseCodeDetails: 'via_upstream',
    bytesReceived: 5,
    bytesSent: 42,
    upstreamHost: { address: '10.0.0.7', port: 8080, activeRequests: 0 },
    upstreamCluster: 'outbound|8080||b.default.svc.cluster.local',
    upstreamSocket: { localAddress: '10.0.0.1', localPort: 40000 } as Socket,
    upstreamTransportFailureReason: undefined,
    connection: { socket: { remoteAddress: '::ffff:127.0.0.1', remotePort: 5555 } as Socket, originalDstAddress: '10.96.0.1', originalDstPort: 8080 },
    request: { method: 'GET', path: '/a?b=1', headers: ['host', 'b:8080', 'user-agent', 'curl/8', 'x-request-id', 'abc'], contentLength: -1, chunked: false, keepAlive: true, minorVersion: 1 },
    authority: 'b:8080',
    routeName: 'default',
    responseHeaders: ['x-envoy-upstream-service-time', '3'],
    ...overrides,
  };
}

const text = (format: string, i = info()) => renderText(compileFormatString(format, 'f'), i);

describe('format strings', () => {
  it('prints the command operators Envoy prints', () => {
    expect(text('%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL% %RESPONSE_CODE% %RESPONSE_FLAGS%')).toBe('GET /a?b=1 HTTP/1.1 200 -');
    expect(text('%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESPONSE_DURATION% %REQUEST_DURATION%')).toBe('5 42 12 10 1');
    expect(text('%UPSTREAM_HOST% %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS%')).toBe('10.0.0.7:8080 outbound|8080||b.default.svc.cluster.local 10.0.0.1:40000');
    expect(text('%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %ROUTE_NAME% %REQUESTED_SERVER_NAME%')).toBe('127.0.0.1:5555 10.96.0.1:8080 default -');
    expect(text('%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %RESP(:STATUS)% %REQ(:AUTHORITY)% %REQ(USER-AGENT):3%')).toBe('3 200 b:8080 cur');
  });

  it('prints "-" for what a stream does not have, and every flag set in Envoy order', () => {
    const failed = info({ responseFlags: ResponseFlag.URX | ResponseFlag.UF, upstreamHost: undefined, upstreamTransportFailureReason: undefined, responseCode: 503 });
    expect(text('%RESPONSE_FLAGS% "%UPSTREAM_HOST%" "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %REQ(X-MISSING)%', failed)).toBe('UF,URX "-" "-" -');
  });

  it('formats START_TIME as ISO 8601 by default, or with a strftime format holding percent signs', () => {
    expect(formatStartTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678), undefined)).toBe('2024-01-02T03:04:05.678Z');
    expect(formatStartTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678), '%Y/%m/%d %H:%M:%S.%3f %s')).toBe('2024/01/02 03:04:05.678 1704164645');
    const parts = compileFormatString('[%START_TIME(%Y-%m-%d)%] x', 'f');
    expect(renderText(parts, info())).toMatch(/^\[\d{4}-\d\d-\d\d\] x$/);
  });

  it('keeps numbers as numbers and absent values as null in JSON', () => {
    expect(renderJsonValue(compileFormatString('%RESPONSE_CODE%', 'f'), info())).toBe(200);
    expect(renderJsonValue(compileFormatString('%UPSTREAM_TRANSPORT_FAILURE_REASON%', 'f'), info())).toBeNull();
    expect(renderJsonValue(compileFormatString('code=%RESPONSE_CODE%', 'f'), info())).toBe('code=200');
  });

  it('prints Istio\'s default format', () => {
    expect(text(ISTIO_DEFAULT_FORMAT)).toMatch(
      /^\[\S+Z\] "GET \/a\?b=1 HTTP\/1\.1" 200 - via_upstream - "-" 5 42 12 3 "-" "curl\/8" "abc" "b:8080" "10\.0\.0\.7:8080" outbound\|8080\|\|b\.default\.svc\.cluster\.local 10\.0\.0\.1:40000 10\.96\.0\.1:8080 127\.0\.0\.1:5555 - default\n$/,
    );
  });

  it('names a bad operator', () => {
    expect(() => compileFormatString('%NOPE%', 'log')).toThrow(/log: command operator "%NOPE%" is not supported/);
    expect(() => compileFormatString('100% sure', 'log')).toThrow(/log: invalid command operator at offset 3/);
    expect(() => compileFormatString('%REQ()%', 'log')).toThrow(/expected a header name/);
  });
});

describe('access_log config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'access-log-'));

  it('writes text and JSON entries to a file, filtered by status', async () => {
    const path = join(dir, 'a.log');
    const logs = compileAccessLogs([
      { name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path, log_format: { text_format_source: { inline_string: '%RESPONSE_CODE% %RESPONSE_FLAGS%\n' } } } },
      {
        name: 'json',
        typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path, log_format: { json_format: { code: '%RESPONSE_CODE%', flags: '%RESPONSE_FLAGS%', host: '%UPSTREAM_HOST%' } } },
        filter: { status_code_filter: { comparison: { op: 'GE', value: { default_value: 500 } } } },
      },
    ], 'hcm.access_log');
    for (const l of logs) l.log(info());
    for (const l of logs) l.log(info({ responseCode: 503, responseFlags: ResponseFlag.UO, upstreamHost: undefined }));
    await flushAccessLogs();
    expect(readFileSync(path, 'utf8')).toBe('200 -\n503 UO\n{"code":503,"flags":"UO","host":null}\n');
  });

  it('writes Istio\'s JSON format with typed values', async () => {
    const path = join(dir, 'c.log');
    const [log] = compileAccessLogs([{ typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path, log_format: { json_format: ISTIO_DEFAULT_JSON_FORMAT } } }], 'x');
    log.log(info());
    await flushAccessLogs();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      method: 'GET', path: '/a?b=1', protocol: 'HTTP/1.1', response_code: 200, response_flags: '-', bytes_sent: 42, duration: 12,
      upstream_host: '10.0.0.7:8080', route_name: 'default', requested_server_name: null, user_agent: 'curl/8',
    });
  });

  it('uses Envoy\'s default format when none is given, and names bad config', () => {
    const path = join(dir, 'b.log');
    expect(compileAccessLogs([{ typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path } }], 'x')).toHaveLength(1);
    expect(() => compileAccessLogs([{ typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path: join(dir, 'no/such/dir.log') } }], 'x'))
      .toThrow(/x\[0\]\.typed_config\.path: cannot open access log file/);
    expect(() => compileAccessLogs([{ typed_config: { '@type': 'type.googleapis.com/x.Y' } }], 'x')).toThrow(/x\[0\]\.typed_config\.@type: unknown access logger/);
    expect(() => compileAccessLogs([{ typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path }, filter: { response_flag_filter: { flags: ['XX'] } } }], 'x'))
      .toThrow(/x\[0\]\.filter\.response_flag_filter\.flags\[0\]: unknown response flag "XX"/);
  });
});
