// Group locks: grp.lock/unlock, written to main.json, or --temporary: held
// in the runtime state of every node until the engines stop.
import { change, name, type MethodContext } from '../methods.js';
import { configChange, groupIn, setFlag, str, type Spec } from './config-change.js';

export function groupLock(value: boolean): Spec {
  return {
    readOnly: false,
    params: { group: name, temporary: { type: 'boolean' }, ...change },
    required: ['group'],
    handler: async (ctx, p) => {
      const { engine } = ctx;
      const g = engine.findGroup(str(p, 'group'));
      const runtime = () => engine.observed.groups?.[g.GroupName];
      const temporary = p.temporary === true;
      const effective = () => engine.config.Groups.find((x) => x.GroupName === g.GroupName)?.Locked === true || runtime()?.tempLocked === true;
      // Temporary lock: runtime only, lost when the engines stop. A plain unlock also lifts it.
      const tempBefore = runtime()?.tempLocked === true;
      const tempWanted = temporary ? value : value ? tempBefore : false;
      const tempChanges = tempBefore !== tempWanted;
      if (temporary) {
        if (p.dryRun === true) return { changed: false, result: { dryRun: true, wouldChange: tempChanges, Locked: value || g.Locked === true, temporary } };
        if (tempChanges) setTempLock(ctx, g.GroupName, value);
        return { changed: tempChanges, result: { Locked: effective(), temporary } };
      }
      if (p.dryRun === true) {
        const out = await configChange(ctx, p, '', (c) => setFlag(groupIn(c, g.GroupName), 'Locked', value, false), { Locked: value, temporary });
        const r = out.result as Record<string, unknown>;
        return { changed: false, result: { ...r, wouldChange: r.wouldChange === true || tempChanges } };
      }
      const out = await configChange(ctx, p, `grp ${value ? 'lock' : 'unlock'} ${g.GroupName}`, (c) => setFlag(groupIn(c, g.GroupName), 'Locked', value, false));
      if (tempChanges) setTempLock(ctx, g.GroupName, false);
      return { changed: out.changed || tempChanges, result: { Locked: effective(), temporary, ...(out.result as Record<string, unknown>) } };
    },
  };
}

function setTempLock(ctx: MethodContext, group: string, value: boolean): void {
  const { engine } = ctx;
  // The peer learns it with the resource states (it holds on every node).
  engine.setTempLock(group, value);
  engine.record({
    subject: `group:${group}`,
    group,
    cause: `operator ${ctx.principal.name}`,
    rule: value ? 'GROUP_TEMP_LOCKED' : 'GROUP_TEMP_UNLOCKED',
    message: value ? `group ${group} is temporarily locked (until every engine stops)` : `temporary lock of group ${group} lifted`,
  });
}
