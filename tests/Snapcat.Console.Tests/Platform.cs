// The console tests start real daemons, agents among them, which run on Linux only (FUSE, process groups).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
