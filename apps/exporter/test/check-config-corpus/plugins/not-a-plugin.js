// A module whose default export is not a plugin definition (the check-config corpus loads it).
export default { hello: 'world' };
