/** Incident files: a fault schedule and its workload as YAML, validated with errors naming line and field. */
export {
  type Incident,
  IncidentError,
  IncidentSchema,
  incidentToYaml,
  loadIncident,
  mixOf,
  parseIncident,
  scheduleOf,
  strategyOf,
  type Workload,
} from './incident.ts';
