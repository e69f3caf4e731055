// Namespaces most files of this project use; a file names only what it needs beyond them.
global using Snapcat.Core.Errors;
global using Snapcat.Core.Storage;
global using Snapcat.Contracts.Array;
