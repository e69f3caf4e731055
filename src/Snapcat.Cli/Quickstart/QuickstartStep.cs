namespace Snapcat.Cli.Quickstart;

/// <summary>One named step of <c>snapcat quickstart</c>. A step that cannot run here (a tool is missing) calls <see cref="QuickstartContext.Skip"/>.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed record QuickstartStep(string Name, Func<QuickstartContext, CancellationToken, Task> Run);
