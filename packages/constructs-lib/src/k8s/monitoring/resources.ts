// The sizes are data (the namespace quota rule reads them): they live in sizing/, which imports no construct library.
export { MONITORING_CONTAINER_RESOURCES } from '../../sizing/container-resources';
