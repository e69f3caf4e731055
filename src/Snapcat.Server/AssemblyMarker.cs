namespace Snapcat.Server;

/// <summary>Marks the assembly; the Server component's types live in its folders.</summary>
public static class AssemblyMarker;
