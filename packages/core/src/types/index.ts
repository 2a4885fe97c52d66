export * from './socket.js';
export * from './host.js';
export * from './family.js';
export * from './snapshot.js';
