/**
 * Calls `onOrphaned` once the process that started this one is gone (it was killed, or it
 * exited without stopping its children), so a supervised process never outlives its supervisor.
 * Watches `KASSA_PARENT_PID` when set, else the parent at call time.
 */
export function stopWhenParentExits(onOrphaned: () => void, intervalMs = 500): void {
  const parentPid = Number(process.env.KASSA_PARENT_PID || process.ppid);
  if (!parentPid || parentPid === 1) return;
  const timer = setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      clearInterval(timer);
      onOrphaned();
    }
  }, intervalMs);
  timer.unref();
}
