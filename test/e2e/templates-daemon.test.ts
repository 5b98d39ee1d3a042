// Each template, rendered as `mccs init` renders it, is a configuration a real
// daemon loads: it starts, probes every resource (read-only) and lists the
// template's groups. StandAlone and BootMode MANUAL keep it from joining a
// peer or starting anything on this machine.
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/init/render-template.js';
import { loadTemplate, templateNames } from '../../src/init/templates.js';
import { createHarness } from '../helpers/engine-harness.js';

const SAMPLE: Record<string, string> = {
  CLUSTER_NAME: 'shop',
  NODE1: 'node1',
  NODE2: 'node2',
  NODE1_PRIMARY_HB: '10.213.0.1',
  NODE2_PRIMARY_HB: '10.213.0.2',
  NODE1_SECONDARY_HB: '10.213.1.1',
  NODE2_SECONDARY_HB: '10.213.1.2',
  ISOLATION_ADDRESSES: '10.213.0.254',
  VIP: '10.213.0.100',
  DEVICE: '/dev/disk/by-id/scsi-shared-1',
  MOUNT_POINT: '/pgdata',
  DATA_DIR: '/pgdata/15/main',
  ORACLE_SID: 'ORCL',
};

describe.each(templateNames())('template %s', (name) => {
  it('is loaded by a real daemon, which probes its resources and lists its groups', async () => {
    const template = loadTemplate(name);
    const answers = Object.fromEntries(template.questions.questions.filter((q) => SAMPLE[q.name] !== undefined).map((q) => [q.name, SAMPLE[q.name]!]));
    const config = renderTemplate(template.body, template.questions, answers);
    Object.assign(config.Nodes[0]!, { StandAlone: true, BootMode: 'MANUAL' });
    const h = createHarness({ node: config.Nodes[0]!.NodeName });
    try {
      h.writeConfig(config);
      await h.start();
      const groups = await h.rpc<{ GroupName: string }[]>('grp.list');
      expect(groups.ok).toBe(true);
      if (groups.ok) expect(groups.result.map((g) => g.GroupName)).toEqual(config.Groups.map((g) => g.GroupName));
      const states = await h.rpc<{ state: string }[]>('res.state', { node: config.Nodes[0]!.NodeName });
      expect(states.ok).toBe(true);
      // Probed, nothing started: no resource is left UNKNOWN, none is STARTING.
      if (states.ok) for (const s of states.result) expect(['ONLINE', 'OFFLINE', 'FAULTED']).toContain(s.state);
      expect(h.events().some((e) => e.rule === 'ONLINE_DONE')).toBe(false);
    } finally {
      await h.cleanup();
    }
  });
});
