import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoDataError } from '../../../../src/sources/host/kernel-files/no-data.ts';
import { readOrNoData } from '../../../../src/sources/host/kernel-files/no-data.ts';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: /sys/x`), { code });
const failing = (err: Error) => async (): Promise<number> => {
  throw err;
};

test('readOrNoData passes a successful read through', async () => {
  assert.equal(await readOrNoData(async () => 7, { noData: 'absent' }), 7);
});

test('readOrNoData turns an absent source (ENOENT by default) into NoDataError', async () => {
  await assert.rejects(
    readOrNoData(failing(errno('ENOENT')), { noData: 'absent', context: 'ctx' }),
    (err) => err instanceof NoDataError && err.message === 'absent',
  );
  await assert.rejects(
    readOrNoData(failing(errno('EACCES')), { absent: (e) => (e as NodeJS.ErrnoException).code === 'EACCES', noData: (e) => `no: ${e.message}` }),
    (err) => err instanceof NoDataError && err.message === 'no: EACCES: /sys/x',
  );
});

test('readOrNoData puts context in front of other failures, or rethrows them as they are', async () => {
  const eio = errno('EIO');
  await assert.rejects(
    readOrNoData(failing(eio), { noData: 'absent', context: 'reading x' }),
    (err) => !(err instanceof NoDataError) && (err as Error).message === 'reading x: EIO: /sys/x' && (err as Error).cause === eio,
  );
  await assert.rejects(readOrNoData(failing(eio), { noData: 'absent' }), (err) => err === eio);
  // ENOTDIR is a real failure by default, as errors.Is(err, os.ErrNotExist) decides.
  await assert.rejects(readOrNoData(failing(errno('ENOTDIR')), { noData: 'absent' }), (err) => !(err instanceof NoDataError));
});
