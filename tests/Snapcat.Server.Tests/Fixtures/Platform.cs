// The server and the agent contract are Linux-only assemblies, and so are these tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
