namespace Guest.Ixgbe;

/// <summary>
/// The 82599 BAR0 registers and bits this driver uses, with the datasheet's names (Intel 82599
/// datasheet, order no. 331520: §8.2.3 registers, §7.1/§7.2 descriptors, §4.6 initialisation).
/// Queue registers are given for queue 0; queue n is at + 0x40·n (RX queues 0..63, TX 0..127).
/// </summary>
public static class IxgbeReg
{
    public const uint CTRL = 0x00000;
    public const uint CTRL_LNK_RST = 1u << 3;
    public const uint CTRL_RST = 1u << 26;
    public const uint CTRL_RST_MASK = CTRL_LNK_RST | CTRL_RST;
    public const uint STATUS = 0x00008;
    public const uint CTRL_EXT = 0x00018;
    public const uint CTRL_EXT_NS_DIS = 1u << 16;

    public const uint EEC = 0x10010;
    public const uint EEC_ARD = 1u << 9;

    public const uint EIMC = 0x00888;
    public const uint EIMC_ALL = 0x7FFFFFFF;

    public const uint FCTRL = 0x05080;
    public const uint FCTRL_MPE = 1u << 8;
    public const uint FCTRL_UPE = 1u << 9;
    public const uint FCTRL_BAM = 1u << 10;
    public const uint RAL0 = 0x0A200;
    public const uint RAH0 = 0x0A204;

    public const uint RDBAL0 = 0x01000;
    public const uint RDBAH0 = 0x01004;
    public const uint RDLEN0 = 0x01008;
    public const uint DCA_RXCTRL0 = 0x0100C;
    public const uint RDH0 = 0x01010;
    public const uint SRRCTL0 = 0x01014;
    public const uint RDT0 = 0x01018;
    public const uint RXDCTL0 = 0x01028;
    public const uint RXDCTL_ENABLE = 1u << 25;
    public const uint SRRCTL_BSIZEPACKET_MASK = 0x1F;
    public const uint SRRCTL_DESCTYPE_MASK = 0x7u << 25;
    public const uint SRRCTL_DESCTYPE_ADV_ONEBUF = 0x1u << 25;
    public const uint SRRCTL_DROP_EN = 1u << 28;
    public const uint DCA_RXCTRL_BIT12 = 1u << 12;
    public const uint QueueStride = 0x40;

    public const uint RDRXCTL = 0x02F00;
    public const uint RDRXCTL_CRCSTRIP = 1u << 1;
    public const uint RDRXCTL_DMAIDONE = 1u << 3;
    public const uint RXCTRL = 0x03000;
    public const uint RXCTRL_RXEN = 1u << 0;
    public const uint RXPBSIZE0 = 0x03C00;
    public const uint RXPBSIZE_128KB = 0x00020000;
    public const uint MPC0 = 0x03FA0;

    public const uint TDBAL0 = 0x06000;
    public const uint TDBAH0 = 0x06004;
    public const uint TDLEN0 = 0x06008;
    public const uint TDH0 = 0x06010;
    public const uint TDT0 = 0x06018;
    public const uint TXDCTL0 = 0x06028;
    public const uint TXDCTL_ENABLE = 1u << 25;
    public const uint DMATXCTL = 0x04A80;
    public const uint DMATXCTL_TE = 1u << 0;
    public const uint DTXMXSZRQ = 0x08100;
    public const uint TXPBSIZE0 = 0x0CC00;
    public const uint TXPBSIZE_40KB = 0x0000A000;
    public const uint RTTDCS = 0x04900;
    public const uint RTTDCS_ARBDIS = 1u << 6;

    public const uint HLREG0 = 0x04240;
    public const uint HLREG0_TXCRCEN = 1u << 0;
    public const uint HLREG0_RXCRCSTRP = 1u << 1;
    public const uint HLREG0_TXPADEN = 1u << 10;
    public const uint AUTOC = 0x042A0;
    public const uint AUTOC_10G_PMA_PMD_MASK = 0x3u << 7;
    public const uint AUTOC_10G_XAUI = 0x0u << 7;
    public const uint AUTOC_AN_RESTART = 1u << 12;
    public const uint AUTOC_LMS_MASK = 0x7u << 13;
    public const uint AUTOC_LMS_10G_SERIAL = 0x3u << 13;
    public const uint LINKS = 0x042A4;
    public const uint LINKS_UP = 1u << 30;
    public const uint LINKS_SPEED_MASK = 0x3u << 28;
    public const uint LINKS_SPEED_100M = 0x1u << 28;
    public const uint LINKS_SPEED_1G = 0x2u << 28;
    public const uint LINKS_SPEED_10G = 0x3u << 28;

    // Statistics (§8.2.3.23): read-only, cleared by a read.
    public const uint GPRC = 0x04074;
    public const uint GPTC = 0x04080;
    public const uint GORCL = 0x04088;
    public const uint GORCH = 0x0408C;
    public const uint GOTCL = 0x04090;
    public const uint GOTCH = 0x04094;

    public static uint Rx(uint queue0Register, int queue) => queue0Register + (uint)queue * QueueStride;
    public static uint Tx(uint queue0Register, int queue) => queue0Register + (uint)queue * QueueStride;
}
