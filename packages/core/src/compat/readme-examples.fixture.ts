// The example configs of prometheus_ss_exporter's README, as a YAML loader returns them
// (the e2e test in apps/exporter parses the YAML text itself). Test data, not exported.

/** README example name → parsed config. */
export const ssReadmeExamples: Record<string, unknown> = {
  'configuration structure': {
    logic: {
      metrics: {
        histograms: {
          active: true,
          rtt: { active: true, bucketBounds: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0] },
        },
        gauges: { active: true, rtt: { active: true }, cwnd: { active: true }, deliveryRate: { active: true } },
        counters: { active: true, dataSegsIn: { active: true }, dataSegsOut: { active: true } },
      },
      compression: { labelFolding: 'raw_endpoint' },
      selection: {
        process: { pids: [1000, 2000], cmds: ['nginx', 'apache2'] },
        peering: { addresses: ['8.8.8.8', '1.1.1.1'], networks: ['10.0.0.0/8', '192.168.0.0/16'], hosts: ['example.com'] },
        portRanges: [
          { lower: 80, upper: 443 },
          { lower: 8000, upper: 9000 },
        ],
      },
    },
  },
  minimal: { logic: { metrics: { gauges: { active: true, rtt: { active: true } }, counters: { active: true } } } },
  'web server (configuration section)': {
    logic: {
      metrics: {
        gauges: { active: true, rtt: { active: true }, deliveryRate: { active: true } },
        histograms: { latency: { active: true, bucket_bounds: [0.1, 0.5, 1, 5, 10, 50, 100, 200] } },
      },
      selection: { process: { cmds: ['nginx', 'apache2', 'httpd'] }, portranges: [{ lower: 80, upper: 443 }] },
    },
  },
  'high-cardinality': {
    logic: {
      metrics: {
        gauges: { active: true, rtt: { active: true } },
        histograms: { latency: { active: true, bucket_bounds: [1, 5, 10, 50, 100, 500] } },
      },
      compression: { labelFolding: 'raw_endpoint' },
      selection: { peering: { networks: ['10.0.0.0/8', '192.168.0.0/16'] } },
    },
  },
  'web server': {
    logic: {
      metrics: {
        gauges: { active: true, rtt: { active: true }, cwnd: { active: true }, deliveryRate: { active: true } },
        histograms: { latency: { active: true, bucket_bounds: [0.1, 0.5, 1, 5, 10, 50, 100, 200] } },
        counters: { active: true, dataSegsIn: { active: true }, dataSegsOut: { active: true } },
      },
      selection: { process: { cmds: ['nginx', 'apache2', 'httpd'] }, portranges: [{ lower: 80, upper: 443 }] },
    },
  },
  database: {
    logic: {
      metrics: {
        gauges: { active: true, rtt: { active: true }, deliveryRate: { active: true } },
        histograms: { latency: { active: true, bucket_bounds: [0.5, 1, 2, 5, 10, 25, 50, 100] } },
      },
      compression: { labelFolding: 'raw_endpoint' },
      selection: {
        process: { cmds: ['postgres', 'mysqld', 'mongod', 'oracle'] },
        portranges: [
          { lower: 3306, upper: 3306 },
          { lower: 5432, upper: 5432 },
          { lower: 27017, upper: 27017 },
        ],
      },
    },
  },
  microservices: {
    logic: {
      metrics: {
        gauges: { active: true, rtt: { active: true } },
        histograms: { latency: { active: true, bucket_bounds: [0.01, 0.05, 0.1, 0.5, 1, 5, 10] } },
      },
      compression: { labelFolding: 'raw_endpoint' },
      selection: {
        peering: { networks: ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12'] },
        portranges: [
          { lower: 8000, upper: 9999 },
          { lower: 3000, upper: 3999 },
        ],
      },
    },
  },
  edge: {
    logic: {
      metrics: {
        gauges: { active: true, rtt: { active: true } },
        histograms: { latency: { active: true, bucket_bounds: [1, 5, 10, 25, 50, 100, 250] } },
      },
      compression: { labelFolding: 'raw_endpoint' },
      selection: {
        peering: { networks: { exclude: ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12'] } },
        portranges: [
          { lower: 80, upper: 443 },
          { lower: 8080, upper: 8080 },
        ],
      },
    },
  },
  development: {
    logic: {
      metrics: { gauges: { active: true, rtt: { active: true } }, counters: { active: false }, histograms: { active: false } },
      selection: { process: { cmds: ['node', 'python', 'java', 'go'] }, portranges: [{ lower: 3000, upper: 9000 }] },
    },
  },
};
