// A plugin module whose import never finishes and keeps nothing pending: without a deadline the CLI exited 0 silently.
await new Promise(() => {});
export default {};
