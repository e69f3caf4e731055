using System.Runtime.Versioning;

// The server and agent commands use Linux-only assemblies (Snapcat.Agent, Snapcat.Server); snapcat runs on Linux.
[assembly: SupportedOSPlatform("linux")]
