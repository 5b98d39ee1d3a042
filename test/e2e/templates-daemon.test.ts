// Each template, rendered as `mccs init` renders it, is a configuration a real
// daemon loads: it starts, probes every resource (read-only) and lists the
// template's groups. StandAlone and BootMode MANUAL keep it from joining a
// peer or starting anything on this machine.
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/init/render-template.js';
import { loadTemplate, templateNames } from '../../src/init/templates.js';
import { createHarness } from '../helpers/engine-harness.js';
import { sampleAnswersFor } from '../helpers/template-answers.js';


describe.each(templateNames())('template %s', (name) => {
  it('is loaded by a real daemon, which probes its resources and lists its groups', async () => {
    const template = loadTemplate(name);
    const answers = sampleAnswersFor(template.questions.questions);
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
