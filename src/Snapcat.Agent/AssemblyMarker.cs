namespace Snapcat.Agent;

/// <summary>Marks the assembly; the Agent component's types live in its folders.</summary>
public static class AssemblyMarker;
