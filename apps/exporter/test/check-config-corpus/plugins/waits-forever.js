// A plugin module whose import waits on a timer that never fires in time: without a deadline the CLI hung.
await new Promise((resolve) => setTimeout(resolve, 2 ** 31 - 1));
export default {};
