global using Tender.Platform;
