// What a CommonJS user gets from require() (Node 20.19+ loads ES modules synchronously), printed
// as facts the packaging test compares with what each package README says.
const core = require('@faultline/core');
const linux = require('@faultline/faults-linux');
const probes = require('@faultline/probes');
const store = require('@faultline/store-sqlite');

let testing;
try {
  require('@faultline/core/testing');
  testing = 'loaded';
} catch (e) {
  testing = e.code;
}
let tunablesError;
try {
  linux.linux.cpuStress({ load: 500 });
} catch (e) {
  tunablesError = [e instanceof core.FaultlineError, e.code];
}
import('@faultline/core').then((esm) => {
  console.log(
    JSON.stringify({
      requireModule: process.features.require_module === true,
      createRuntime: typeof core.createRuntime,
      experiment: typeof core.experiment,
      coreHasDefault: 'default' in core,
      sameModuleAsImport: esm.FaultlineError === core.FaultlineError,
      linuxDefaultIsPack: linux.default === linux.pack && linux.pack.name === '@faultline/faults-linux',
      probesDefaultIsPack: probes.default === probes.pack && probes.pack.name === '@faultline/probes',
      sqliteStore: typeof store.sqliteStore,
      testing,
      tunablesError,
    }),
  );
});
