import { controlledPipeline, renderedSnapshot } from '@sockscope/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { parseListenAddress } from '../src/listen-address.js';
import { OPEN_BIND_WARNING, bindsAllInterfaces } from '../src/sink.js';
import type { PrometheusSinkConfig } from '../src/config.js';
import { call } from './http.js';
import { sinkContext, startSink, stopAll } from './harness.js';

afterEach(stopAll);

describe('the index page', () => {
  const plugins = [
    { kind: 'collector', name: 'linux-netlink', description: 'Sockets and tcp_info over NETLINK_SOCK_DIAG', enabled: true },
    { kind: 'collector', name: 'linux-procfs', description: 'Host network counters under node_exporter\'s names & <more>', enabled: true },
    { kind: 'collector', name: 'linux-procfs-sockets', description: 'Socket tables from /proc/net (the fallback)', enabled: false },
    { kind: 'sink', name: 'otlp', description: 'Pushes to an OpenTelemetry collector', enabled: false },
  ];

  it('lists the running collectors, each linked to a scrape of it alone, with the plugin descriptions the app gave', async () => {
    const pipeline = controlledPipeline(async () => renderedSnapshot(), { collectorNames: ['linux-netlink', 'linux-procfs'] });
    const { port } = await startSink({ ...sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false, metrics_path: '/m' }, pipeline), plugins });
    const res = await call(port, '/');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = res.text;
    expect(html).toContain('<li><a href="/m?collect[]=linux-netlink">linux-netlink</a>: Sockets and tcp_info over NETLINK_SOCK_DIAG</li>');
    expect(html).toContain('<li><a href="/m?collect[]=linux-procfs">linux-procfs</a>: Host network counters under node_exporter\'s names &amp; &lt;more&gt;</li>');
    expect(html).not.toContain('href="/m?collect[]=linux-procfs-sockets"');
    expect(html).toContain('<tr><td>collector</td><td>linux-procfs-sockets</td><td>off</td><td>Socket tables from /proc/net (the fallback)</td></tr>');
    expect(html).toContain('<tr><td>sink</td><td>otlp</td><td>off</td><td>Pushes to an OpenTelemetry collector</td></tr>');
    for (const link of ['href="/m"', 'href="/health"', 'href="/-/healthy"', 'href="/-/ready"']) expect(html).toContain(link);
    expect(html).not.toContain('/-/reload');
  });

  it('lists the collectors by name when the app gave no plugin list, and mentions /-/reload when it is on', async () => {
    const pipeline = controlledPipeline(async () => renderedSnapshot(), { collectorNames: ['linux-procfs'] });
    const { port } = await startSink(sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false, enable_lifecycle: true }, pipeline));
    const html = (await call(port, '/')).text;
    expect(html).toContain('<li><a href="/metrics?collect[]=linux-procfs">linux-procfs</a></li>');
    expect(html).not.toContain('<h2>Plugins</h2>');
    expect(html).toContain('POST /-/reload');
  });
});

describe('the warning when /metrics is open on every interface', () => {
  it('knows which listen addresses bind every interface', () => {
    const all = [':8020', '8020', '0.0.0.0:8020', '[::]:8020', '[0:0:0:0:0:0:0:0]:8020', '[::0]:8020'];
    const one = ['127.0.0.1:8020', '[::1]:8020', '10.0.0.7:8020', 'localhost:8020', '[fe80::1]:8020'];
    expect(all.filter((a) => !bindsAllInterfaces(parseListenAddress(a)))).toEqual([]);
    expect(one.filter((a) => bindsAllInterfaces(parseListenAddress(a)))).toEqual([]);
  });

  const warnings = (lines: string[]) => lines.filter((l) => l === `warn: ${OPEN_BIND_WARNING}`);
  const startOn = async (config: Partial<PrometheusSinkConfig>, secured?: boolean) => {
    const ctx = { ...sinkContext({ process_metrics: false, ...config }, controlledPipeline()), ...(secured === undefined ? {} : { secured }) };
    const started = await startSink(ctx);
    return { ...started, lines: ctx.logger.lines };
  };

  // per-flow series name peers and commands, and :8020 serves them to every network the host is on
  it('warns once at start when listening on all interfaces without TLS or authentication, also across restarts', async () => {
    const { sink, lines } = await startOn({ listen_address: ':0' });
    expect(OPEN_BIND_WARNING).toBe(
      'per-flow series name peers and commands: /metrics is served on all interfaces without TLS or authentication; bind to a private address or use --web.config.file',
    );
    expect(warnings(lines)).toHaveLength(1);
    await sink.stop();
    await sink.start();
    expect(warnings(lines)).toHaveLength(1);
    const v4 = await startOn({ listen_address: '0.0.0.0:0' });
    expect(warnings(v4.lines)).toHaveLength(1);
  });

  it('says nothing on a loopback or private address, or when the app secured the server (--web.config.file)', async () => {
    expect(warnings((await startOn({ listen_address: '127.0.0.1:0' })).lines)).toEqual([]);
    expect(warnings((await startOn({ listen_address: ':0' }, true)).lines)).toEqual([]);
    expect(warnings((await startOn({ listen_address: ':0' }, false)).lines)).toHaveLength(1);
  });
});
