/** Shared by every package: @swc/jest strips types (tsc checks them once, in `npm run typecheck`). */
module.exports = require('../../jest.base.config.js');
