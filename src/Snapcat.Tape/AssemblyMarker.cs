namespace Snapcat.Tape;

/// <summary>Marks the assembly; the Tape component's types live in its folders.</summary>
public static class AssemblyMarker;
