// The one door to the unsafe layer: the collector imports this module dynamically, so koffi is
// loaded only once a collector is created on Linux.
export { errnoName, errnoValue, type SyscallResult } from './libc.js';
export { sysSocket } from './socket.js';
export { sysBind } from './bind.js';
export { sysSend } from './send.js';
export { sysRecv, sysRecvAsync } from './recv.js';
export { sysSetns } from './setns.js';
export { sysOpenReadOnly } from './open.js';
export { sysClose } from './close.js';
export { sysSetsockoptInt, sysGetsockoptInt } from './setsockopt.js';
export { startDestroyReader, type DestroyReaderHandle, type DestroyReaderOptions } from './destroy-reader.js';
