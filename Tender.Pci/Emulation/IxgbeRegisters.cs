namespace Tender.Pci.Emulation;

/// <summary>
/// Intel 82599 10 GbE controller BAR0 register offsets and bits, named as in the 82599 datasheet
/// (Intel order no. 331520; chapter 8.2.3 lists the registers, chapter 7 the descriptor formats,
/// chapter 4.6 the initialisation sequence). Section numbers below refer to that datasheet.
/// Only what the emulated device implements is listed; everything else in BAR0 is plain storage.
/// </summary>
public static class IxgbeRegisters
{
    /// <summary>BAR0 (memory CSR space) size: 512 KiB, a 64-bit non-prefetchable memory BAR.</summary>
    public const uint Bar0Size = 512 * 1024;

    // §8.2.3.1 General control.
    public const uint CTRL = 0x00000;
    public const uint CTRL_GIO_DIS = 1u << 2;      // PCIe master disable
    public const uint CTRL_LNK_RST = 1u << 3;      // link reset (resets the whole MAC, like RST)
    public const uint CTRL_RST = 1u << 26;         // device reset, self-clearing
    public const uint CTRL_RST_MASK = CTRL_LNK_RST | CTRL_RST;

    public const uint STATUS = 0x00008;            // read-only
    public const uint STATUS_LAN_ID_SHIFT = 2;     // bits 3:2, which port of the controller
    public const uint STATUS_LINK_UP = 1u << 7;
    public const uint STATUS_GIO_MASTER_ENABLE = 1u << 19;

    public const uint CTRL_EXT = 0x00018;
    public const uint CTRL_EXT_PFRSTD = 1u << 14;
    public const uint CTRL_EXT_NS_DIS = 1u << 16;  // no-snoop disable (set by drivers, §4.6.7)
    public const uint CTRL_EXT_DRV_LOAD = 1u << 28;

    // §8.2.3.2 EEPROM.
    public const uint EEC = 0x10010;
    public const uint EEC_PRES = 1u << 8;          // EEPROM present
    public const uint EEC_ARD = 1u << 9;           // EEPROM auto-read done (after reset)

    // §8.2.3.5 Interrupts (the emulated device raises none: guests poll; the masks are kept).
    public const uint EICR = 0x00800;              // read clears
    public const uint EICS = 0x00808;
    public const uint EIAC = 0x00810;
    public const uint EIMS = 0x00880;
    public const uint EIMC = 0x00888;              // write 1 to clear mask bits
    public const uint EIAM = 0x00890;
    public const uint GPIE = 0x00898;

    // §8.2.3.7 Receive filtering.
    public const uint FCTRL = 0x05080;
    public const uint FCTRL_SBP = 1u << 1;
    public const uint FCTRL_MPE = 1u << 8;         // multicast promiscuous
    public const uint FCTRL_UPE = 1u << 9;         // unicast promiscuous
    public const uint FCTRL_BAM = 1u << 10;        // broadcast accept
    public const uint MCSTCTRL = 0x05090;
    public const uint MCSTCTRL_MO_MASK = 0x3;      // which 12 destination-address bits index the MTA
    public const uint MCSTCTRL_MFE = 1u << 2;      // multicast filter (MTA) enable
    public const uint MTA0 = 0x05200;              // 128 × 32 bits: 4096-bit multicast hash table
    public const int MtaCount = 128;
    public const uint RAL0 = 0x0A200;              // receive address low, 128 entries × 8 bytes
    public const uint RAH0 = 0x0A204;
    public const int ReceiveAddressCount = 128;
    public const uint RAH_AV = 1u << 31;           // address valid
    /// <summary>82598-compatible alias of RAL/RAH 0..15 (ixgbe drivers use it for entry 0).</summary>
    public const uint RAL_ALIAS0 = 0x05400;

    // §8.2.3.8 Receive DMA. Queue n (0..63) registers at base + 0x40·n; 64..127 at 0x0D000 + 0x40·(n-64).
    public const uint RDBAL0 = 0x01000;            // bits 6:0 read as 0 (128-byte aligned)
    public const uint RDBAH0 = 0x01004;
    public const uint RDLEN0 = 0x01008;            // bits 6:0 read as 0 (multiple of 128 bytes)
    public const uint DCA_RXCTRL0 = 0x0100C;
    public const uint RDH0 = 0x01010;
    public const uint SRRCTL0 = 0x01014;
    public const uint RDT0 = 0x01018;
    public const uint RXDCTL0 = 0x01028;
    public const uint QPRC0 = 0x01030;             // per-queue statistics (queues 0..15)
    public const uint QBRC_L0 = 0x01034;
    public const uint QBRC_H0 = 0x01038;
    public const uint QPRDC0 = 0x01430;
    public const uint RxQueueHighBase = 0x0D000;
    public const uint QueueStride = 0x40;
    public const int QueueCount = 128;
    /// <summary>82598-compatible aliases of SRRCTL[0..15] and DCA_RXCTRL[0..15] (ixgbe drivers use them).</summary>
    public const uint SRRCTL_ALIAS0 = 0x02100;
    public const uint DCA_RXCTRL_ALIAS0 = 0x02200;

    public const uint RXDCTL_ENABLE = 1u << 25;
    public const uint SRRCTL_BSIZEPACKET_MASK = 0x1F;       // bits 4:0, packet buffer size in 1 KiB units
    public const uint SRRCTL_BSIZEHEADER_MASK = 0x3F00;     // bits 13:8, header buffer size in 64-byte units
    public const uint SRRCTL_DESCTYPE_MASK = 0x7u << 25;
    public const uint SRRCTL_DESCTYPE_LEGACY = 0x0u << 25;
    public const uint SRRCTL_DESCTYPE_ADV_ONEBUF = 0x1u << 25;
    public const uint SRRCTL_DROP_EN = 1u << 28;
    public const uint DCA_RXCTRL_BIT12 = 1u << 12;          // reserved, resets to 1, drivers clear it (§4.6.7)

    public const uint RDRXCTL = 0x02F00;
    public const uint RDRXCTL_CRCSTRIP = 1u << 1;
    public const uint RDRXCTL_DMAIDONE = 1u << 3;           // DMA init done (after reset)
    public const uint RXCTRL = 0x03000;
    public const uint RXCTRL_RXEN = 1u << 0;
    public const uint RXPBSIZE0 = 0x03C00;                  // 8 packet buffers
    public const uint RXPBSIZE_128KB = 0x00020000;
    public const uint MPC0 = 0x03FA0;                       // missed packets, 8 (per packet buffer)
    public const uint RNBC0 = 0x03FC0;                      // receive no buffers, 8

    // §8.2.3.9 Transmit. Queue n (0..127) at base + 0x40·n.
    public const uint TDBAL0 = 0x06000;
    public const uint TDBAH0 = 0x06004;
    public const uint TDLEN0 = 0x06008;
    public const uint DCA_TXCTRL0 = 0x0600C;
    public const uint TDH0 = 0x06010;
    public const uint TDT0 = 0x06018;
    public const uint TXDCTL0 = 0x06028;
    public const uint QPTC0 = 0x06030;                      // per-queue statistics (queues 0..15)
    public const uint TDWBAL0 = 0x06038;                    // head write-back address low (bit 0: enable)
    public const uint TDWBAH0 = 0x0603C;
    public const uint QBTC_L0 = 0x08700;                    // stride 8
    public const uint QBTC_H0 = 0x08704;
    public const uint TXDCTL_ENABLE = 1u << 25;
    public const uint TDWBAL_HEAD_WB_EN = 1u << 0;

    public const uint DMATXCTL = 0x04A80;
    public const uint DMATXCTL_TE = 1u << 0;                // transmit enable
    public const uint DTXMXSZRQ = 0x08100;
    public const uint TXPBSIZE0 = 0x0CC00;                  // 8 packet buffers
    public const uint TXPBSIZE_40KB = 0x0000A000;

    // §8.2.3.10 DCB.
    public const uint RTTDCS = 0x04900;
    public const uint RTTDCS_ARBDIS = 1u << 6;

    // §8.2.3.22 MAC.
    public const uint HLREG0 = 0x04240;
    public const uint HLREG0_TXCRCEN = 1u << 0;
    public const uint HLREG0_RXCRCSTRP = 1u << 1;
    public const uint HLREG0_JUMBOEN = 1u << 2;
    public const uint HLREG0_TXPADEN = 1u << 10;
    public const uint HLREG0_LPBK = 1u << 15;
    public const uint MAXFRS = 0x04268;                     // bits 31:16 MFS, max frame size with jumbo
    public const uint AUTOC = 0x042A0;
    public const uint AUTOC_FLU = 1u << 0;                  // force link up
    public const uint AUTOC_10G_PMA_PMD_MASK = 0x3u << 7;
    public const uint AUTOC_AN_RESTART = 1u << 12;          // self-clearing
    public const int AUTOC_LMS_SHIFT = 13;
    public const uint AUTOC_LMS_MASK = 0x7u << AUTOC_LMS_SHIFT;
    public const uint AUTOC_LMS_10G_SERIAL = 0x3u << AUTOC_LMS_SHIFT;
    public const uint LINKS = 0x042A4;                      // read-only
    public const uint LINKS_LINK_STATUS = 1u << 7;
    public const uint LINKS_SPEED_MASK = 0x3u << 28;
    public const uint LINKS_SPEED_10G = 0x3u << 28;
    public const uint LINKS_SPEED_1G = 0x2u << 28;
    public const uint LINKS_UP = 1u << 30;
    public const uint AUTOC2 = 0x042A8;

    // §8.2.3.23 Statistics (read-only, cleared on read).
    public const uint CRCERRS = 0x04000;
    public const uint ILLERRC = 0x04004;
    public const uint ERRBC = 0x04008;
    public const uint MLFC = 0x04034;
    public const uint MRFC = 0x04038;
    public const uint RLEC = 0x04040;
    public const uint PRC64 = 0x0405C;                      // PRC64..PRC1522: six size bins
    public const uint GPRC = 0x04074;
    public const uint BPRC = 0x04078;
    public const uint MPRC = 0x0407C;
    public const uint GPTC = 0x04080;
    public const uint GORCL = 0x04088;
    public const uint GORCH = 0x0408C;
    public const uint GOTCL = 0x04090;
    public const uint GOTCH = 0x04094;
    public const uint RUC = 0x040A4;
    public const uint RFC = 0x040A8;
    public const uint ROC = 0x040AC;
    public const uint RJC = 0x040B0;
    public const uint TORL = 0x040C0;
    public const uint TORH = 0x040C4;
    public const uint TPR = 0x040D0;
    public const uint TPT = 0x040D4;
    public const uint PTC64 = 0x040D8;                      // PTC64..PTC1522: six size bins
    public const uint MPTC = 0x040F0;
    public const uint BPTC = 0x040F4;

    /// <summary>The canonical 82599 offset of an access: folds the 82598-compatible aliases onto their registers.</summary>
    public static uint Canonical(uint offset)
    {
        if (offset is >= SRRCTL_ALIAS0 and < SRRCTL_ALIAS0 + 16 * 4 && offset % 4 == 0)
            return SRRCTL0 + (offset - SRRCTL_ALIAS0) / 4 * QueueStride;
        if (offset is >= DCA_RXCTRL_ALIAS0 and < DCA_RXCTRL_ALIAS0 + 16 * 4 && offset % 4 == 0)
            return DCA_RXCTRL0 + (offset - DCA_RXCTRL_ALIAS0) / 4 * QueueStride;
        if (offset is >= RAL_ALIAS0 and < RAL_ALIAS0 + 16 * 8)
            return RAL0 + (offset - RAL_ALIAS0);
        return offset;
    }

    /// <summary>Register offset of receive-queue register <paramref name="queue0Offset"/> (an RDBAL0-block offset) for queue n.</summary>
    public static uint RxQueueRegister(uint queue0Offset, int queue) =>
        queue < 64
            ? queue0Offset + (uint)queue * QueueStride
            : RxQueueHighBase + (queue0Offset - RDBAL0) + (uint)(queue - 64) * QueueStride;

    /// <summary>Register offset of transmit-queue register <paramref name="queue0Offset"/> for queue n.</summary>
    public static uint TxQueueRegister(uint queue0Offset, int queue) => queue0Offset + (uint)queue * QueueStride;

    /// <summary>
    /// Which receive queue and which of its registers an offset is (offset relative to RDBAL0's
    /// block), or false. Covers both queue blocks (0x01000 and 0x0D000).
    /// </summary>
    public static bool TryRxQueue(uint offset, out int queue, out uint register)
    {
        uint block;
        int first;
        if (offset is >= RDBAL0 and < RDBAL0 + 64 * QueueStride) { block = RDBAL0; first = 0; }
        else if (offset is >= RxQueueHighBase and < RxQueueHighBase + 64 * QueueStride) { block = RxQueueHighBase; first = 64; }
        else { queue = -1; register = 0; return false; }
        queue = first + (int)((offset - block) / QueueStride);
        register = RDBAL0 + (offset - block) % QueueStride;
        return true;
    }

    /// <summary>Which transmit queue and which of its registers (relative to TDBAL0's block) an offset is, or false.</summary>
    public static bool TryTxQueue(uint offset, out int queue, out uint register)
    {
        if (offset is >= TDBAL0 and < TDBAL0 + QueueCount * QueueStride)
        {
            queue = (int)((offset - TDBAL0) / QueueStride);
            register = TDBAL0 + (offset - TDBAL0) % QueueStride;
            return true;
        }
        queue = -1;
        register = 0;
        return false;
    }

    /// <summary>Whether a register is a statistics counter, read-only and cleared by a read (§8.2.3.23).</summary>
    public static bool IsClearOnRead(uint offset) =>
        // 0x04000..0x040F4 is the statistics block: every dword in it is a counter.
        offset is >= CRCERRS and <= BPTC ||
        offset is >= MPC0 and < RNBC0 + 8 * 4 ||
        (TryRxQueue(offset, out int rq, out uint rr) && rq < 16 && rr is QPRC0 or QBRC_L0 or QBRC_H0) ||
        (offset is >= QPRDC0 and < QPRDC0 + 16 * QueueStride && (offset - QPRDC0) % QueueStride == 0) ||
        (TryTxQueue(offset, out int tq, out uint tr) && tq < 16 && tr == QPTC0) ||
        offset is >= QBTC_L0 and < QBTC_L0 + 16 * 8;

    /// <summary>A register's datasheet name for traces ("RDT[0]", "CTRL", …), or its offset in hex.</summary>
    public static string NameOf(uint offset)
    {
        uint canonical = Canonical(offset);
        if (TryRxQueue(canonical, out int rq, out uint rr))
        {
            string? n = rr switch
            {
                RDBAL0 => "RDBAL", RDBAH0 => "RDBAH", RDLEN0 => "RDLEN", DCA_RXCTRL0 => "DCA_RXCTRL", RDH0 => "RDH",
                SRRCTL0 => "SRRCTL", RDT0 => "RDT", RXDCTL0 => "RXDCTL", QPRC0 => "QPRC", QBRC_L0 => "QBRC_L", QBRC_H0 => "QBRC_H",
                _ => null,
            };
            if (n is not null) return $"{n}[{rq}]";
        }
        if (TryTxQueue(canonical, out int tq, out uint tr))
        {
            string? n = tr switch
            {
                TDBAL0 => "TDBAL", TDBAH0 => "TDBAH", TDLEN0 => "TDLEN", DCA_TXCTRL0 => "DCA_TXCTRL", TDH0 => "TDH",
                TDT0 => "TDT", TXDCTL0 => "TXDCTL", QPTC0 => "QPTC", TDWBAL0 => "TDWBAL", TDWBAH0 => "TDWBAH", _ => null,
            };
            if (n is not null) return $"{n}[{tq}]";
        }
        if (canonical is >= RAL0 and < RAL0 + ReceiveAddressCount * 8)
            return $"{((canonical & 4) == 0 ? "RAL" : "RAH")}[{(canonical - RAL0) / 8}]";
        if (canonical is >= MTA0 and < MTA0 + MtaCount * 4) return $"MTA[{(canonical - MTA0) / 4}]";
        if (canonical is >= RXPBSIZE0 and < RXPBSIZE0 + 32) return $"RXPBSIZE[{(canonical - RXPBSIZE0) / 4}]";
        if (canonical is >= TXPBSIZE0 and < TXPBSIZE0 + 32) return $"TXPBSIZE[{(canonical - TXPBSIZE0) / 4}]";
        if (canonical is >= MPC0 and < MPC0 + 32) return $"MPC[{(canonical - MPC0) / 4}]";
        if (canonical is >= RNBC0 and < RNBC0 + 32) return $"RNBC[{(canonical - RNBC0) / 4}]";
        return canonical switch
        {
            CTRL => "CTRL", STATUS => "STATUS", CTRL_EXT => "CTRL_EXT", EEC => "EEC", EICR => "EICR", EICS => "EICS",
            EIAC => "EIAC", EIMS => "EIMS", EIMC => "EIMC", EIAM => "EIAM", GPIE => "GPIE", FCTRL => "FCTRL",
            MCSTCTRL => "MCSTCTRL", RDRXCTL => "RDRXCTL", RXCTRL => "RXCTRL", DMATXCTL => "DMATXCTL",
            DTXMXSZRQ => "DTXMXSZRQ", RTTDCS => "RTTDCS", HLREG0 => "HLREG0", MAXFRS => "MAXFRS", AUTOC => "AUTOC",
            LINKS => "LINKS", AUTOC2 => "AUTOC2", GPRC => "GPRC", BPRC => "BPRC", MPRC => "MPRC", GPTC => "GPTC",
            GORCL => "GORCL", GORCH => "GORCH", GOTCL => "GOTCL", GOTCH => "GOTCH", RUC => "RUC", ROC => "ROC",
            TORL => "TORL", TORH => "TORH", TPR => "TPR", TPT => "TPT", MPTC => "MPTC", BPTC => "BPTC",
            CRCERRS => "CRCERRS", _ => $"0x{offset:x5}",
        };
    }
}
