import { describe, expect, it } from 'vitest';
import { expandGrafanaVariables, metricNames, parseLabelValues } from './promql.js';

// The harness's own parser: if it missed a name, the e2e would silently check less.
describe('metricNames', () => {
  it('finds selectors and skips functions, keywords, labels, ranges and numbers', () => {
    expect(metricNames('rate(node_netstat_Tcp_RetransSegs[5m]) / rate(node_netstat_Tcp_OutSegs[5m]) > 0.05 and rate(node_netstat_Tcp_RetransSegs[5m]) > 10'))
      .toEqual(['node_netstat_Tcp_RetransSegs', 'node_netstat_Tcp_OutSegs']);
    expect(metricNames('sum without (family, protocol, state) (sockscope_sockets{protocol="tcp", state="CLOSE_WAIT"}) > 100')).toEqual(['sockscope_sockets']);
    expect(metricNames('histogram_quantile(0.95, sum by (instance, le) (rate(sockscope_tcp_rtt_distribution_seconds_bucket{instance=~"a|b"}[15s])))'))
      .toEqual(['sockscope_tcp_rtt_distribution_seconds_bucket']);
    expect(metricNames('instance:node_netstat_Tcp_RetransSegs:rate5m / (instance:node_netstat_Tcp_OutSegs:rate5m > 0) * 1e-3'))
      .toEqual(['instance:node_netstat_Tcp_RetransSegs:rate5m', 'instance:node_netstat_Tcp_OutSegs:rate5m']);
    expect(metricNames('up{job="sockscope"} == 0')).toEqual(['up']);
  });
});

describe('expandGrafanaVariables', () => {
  it('pins the instance as an escaped regex and opens the device filter', () => {
    expect(expandGrafanaVariables('rate(x{instance=~"$instance", device=~"$device"}[$__rate_interval])', { instance: '127.0.0.1:8020' }))
      .toBe('rate(x{instance=~"127\\\\.0\\\\.0\\\\.1:8020", device=~".+"}[15s])');
  });
  it('parses label_values', () => {
    expect(parseLabelValues('label_values(node_network_receive_bytes_total{instance=~"$instance"}, device)'))
      .toEqual({ selector: 'node_network_receive_bytes_total{instance=~"$instance"}', label: 'device' });
  });
});
