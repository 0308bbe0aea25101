/** Incident files: a fault schedule and its workload as YAML, validated with errors naming line and field. */
export * from './incident.ts';
export { parseYamlFile, readYamlText, YamlFileError, yamlFileKind } from './yaml-file.ts';
