// What an operator answers to the template questions that have no default:
// shared by the template tests (rendering) and the daemon test (loading).
import type { Question } from '../../src/init/questions.js';

export const SAMPLE_ANSWERS: Record<string, string> = {
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

export function sampleAnswersFor(questions: Question[]): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const q of questions) if (SAMPLE_ANSWERS[q.name] !== undefined) answers[q.name] = SAMPLE_ANSWERS[q.name]!;
  return answers;
}
