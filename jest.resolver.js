/**
 * jest resolver: the kubernetes-models packages define only the `import` condition in their package "exports";
 * resolve those with it (jest then transforms them to CommonJS, see jest.base.config.js). Everything else resolves
 * as jest does by default.
 */
const MODELS = /^(@kubernetes-models\/|kubernetes-models(\/|$))/;

module.exports = (request, options) =>
  options.defaultResolver(request, MODELS.test(request) ? { ...options, conditions: ['import', 'default'] } : options);
