/** Where a command writes: its output and its diagnostics. */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** A command that works on the running lab, found through its state file. */
export interface LabIo extends CommandIo {
  stateFile: string;
}
