/** Runs a command body; any error becomes one `midg: error: ...` line and exit code 1. */
export async function runCommand(body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`midg: error: ${message.split('\n')[0]}\n`);
    if (process.env.MIDG_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}
