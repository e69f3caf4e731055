using System.Runtime.Versioning;

// The server drives agents through the agent's contract types (a Linux-only assembly) and runs beside them on Linux.
[assembly: SupportedOSPlatform("linux")]
