// A plugin module that throws while it is imported (the check-config corpus loads it).
throw new Error('this plugin refuses to load: missing licence key');
