// Owned file descriptors are Tender.Host's FileDescriptor (SafeHandle), shared with the device layer.
global using FileDescriptor = Tender.Host.FileDescriptor;
global using Tender.Platform;
