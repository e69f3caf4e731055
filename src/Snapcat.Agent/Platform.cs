using System.Runtime.Versioning;

// The agent drives Linux tools (nbdfuse, mount, fsck) and Unix file modes; it runs on Linux only.
[assembly: SupportedOSPlatform("linux")]
