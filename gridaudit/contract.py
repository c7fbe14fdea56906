"""The data contract: the raw tables gridaudit reads, described once.

Ingest, the synthetic generator, the adapters and the features all read these
descriptions, so a column is named, typed and aliased in exactly one place
(see ``shared/design/DATA_CONTRACT.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds: "str", "float", "int", "date", "datetime", "month".


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    exclusive_minimum: bool = False
    maximum: float | None = None
    default: object = None
    personal: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    # reference checks: column -> (table, column)
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    date_column: str | None = None  # the column that places a row in time
    optional: bool = False

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


TARIFF_CATEGORIES = ("residential", "commercial", "large_industrial", "agricultural", "other")
RESULTS = (
    "clean",
    "theft",
    "violation",
    "tariff_error",
    "metering_error",
    "billing_error",
    "process_error",
)
SELECTIONS = ("targeted", "random", "tip", "exploration", "unknown")
ADJUSTMENT_KINDS = (
    "refund",
    "supplement",
    "reading_edit",
    "multiplier_edit",
    "tariff_edit",
    "estimated_bill",
    "other",
)
WORK_ORDER_KINDS = (
    "new_connection",
    "capacity_change",
    "tariff_change",
    "meter_replacement",
    "billing_adjustment",
    "account_close",
    "temporary_use",
    "other",
)
TARGET_TYPES = ("customer", "work_order")

# Chinese values as marketing systems write them -> canonical value.
VALUE_ALIASES: dict[tuple[str, str], dict[str, str]] = {
    ("customers", "tariff_category"): {
        "居民生活": "residential",
        "居民": "residential",
        "一般工商业": "commercial",
        "非居民": "commercial",
        "商业": "commercial",
        "大工业": "large_industrial",
        "农业生产": "agricultural",
        "农业排灌": "agricultural",
        "其他": "other",
    },
    ("inspections", "result"): {
        "正常": "clean",
        "无异常": "clean",
        "窃电": "theft",
        "违约用电": "violation",
        "电价执行错误": "tariff_error",
        "电价差错": "tariff_error",
        "计量差错": "metering_error",
        "计量异常": "metering_error",
        "电费差错": "billing_error",
        "抄核收差错": "billing_error",
        "流程差错": "process_error",
        "业务差错": "process_error",
    },
    ("inspections", "selection"): {
        "定向": "targeted",
        "重点": "targeted",
        "随机": "random",
        "抽查": "random",
        "举报": "tip",
        "探索": "exploration",
    },
    ("inspections", "target_type"): {"用户": "customer", "工单": "work_order"},
    ("billing_adjustments", "kind"): {
        "退费": "refund",
        "退补(退)": "refund",
        "补收": "supplement",
        "退补(补)": "supplement",
        "修改指针": "reading_edit",
        "修改示数": "reading_edit",
        "修改倍率": "multiplier_edit",
        "修改电价": "tariff_edit",
        "估抄": "estimated_bill",
    },
    ("work_orders", "kind"): {
        "新装": "new_connection",
        "增容": "capacity_change",
        "减容": "capacity_change",
        "改类": "tariff_change",
        "换表": "meter_replacement",
        "退补": "billing_adjustment",
        "销户": "account_close",
        "临时用电": "temporary_use",
    },
}

C = Column

CUSTOMERS = Table(
    "customers",
    (
        C("customer_id", "str", True, ("用户编号", "户号")),
        C("tariff_category", "str", True, ("用电类别",), allowed=TARIFF_CATEGORIES),
        C("area_id", "str", True, ("台区编号",)),
        C("contract_capacity_kva", "float", aliases=("合同容量",), minimum=0),
        C(
            "meter_multiplier",
            "float",
            aliases=("综合倍率", "倍率"),
            minimum=0,
            exclusive_minimum=True,
            default=1.0,
        ),
        C("voltage_kv", "float", aliases=("电压等级",)),
        C("industry_code", "str", aliases=("行业分类",)),
        C("connect_date", "date", aliases=("立户日期",)),
        C("closed_date", "date", aliases=("销户日期",)),
        C("name", "str", aliases=("户名",), personal=True),
        C("address", "str", aliases=("用电地址",), personal=True),
        C("phone", "str", aliases=("联系电话",), personal=True),
    ),
    key=("customer_id",),
    date_column="connect_date",
)

READINGS = Table(
    "readings",
    (
        C("customer_id", "str", True, ("用户编号",)),
        C("date", "date", True, ("日期", "数据日期")),
        C("kwh", "float", True, ("日电量", "电量"), minimum=0),
    ),
    key=("customer_id", "date"),
    references={"customer_id": ("customers", "customer_id")},
    date_column="date",
    optional=True,
)

BILLS = Table(
    "bills",
    (
        C("customer_id", "str", True, ("用户编号",)),
        C("read_date", "date", True, ("抄表日期",)),
        C("period_months", "int", aliases=("计费月数",), minimum=1, default=1),
        C("meter_id", "str", aliases=("电能表编号",)),
        C("start_reading", "float", aliases=("起码",)),
        C("end_reading", "float", aliases=("止码",)),
        C("multiplier", "float", aliases=("倍率",), minimum=0, exclusive_minimum=True, default=1.0),
        C("kwh_billed", "float", True, ("结算电量",), minimum=0),
        C("kwh_tier_1", "float", aliases=("第一阶梯电量",), minimum=0),
        C("kwh_tier_2", "float", aliases=("第二阶梯电量",), minimum=0),
        C("kwh_tier_3", "float", aliases=("第三阶梯电量",), minimum=0),
        C("kwh_tier_4", "float", aliases=("第四阶梯电量",), minimum=0),
        C("tariff_code", "str", aliases=("电价码",)),
        C("meter_status", "str", aliases=("表计状态",)),
        C("reading_remark", "str", aliases=("抄表备注",)),
    ),
    key=("customer_id", "meter_id", "read_date"),
    references={"customer_id": ("customers", "customer_id")},
    date_column="read_date",
    optional=True,
)

BILLING_ADJUSTMENTS = Table(
    "billing_adjustments",
    (
        C("adjustment_id", "str", True, ("退补编号",)),
        C("customer_id", "str", True, ("用户编号",)),
        C("date", "date", True, ("退补日期",)),
        C("kind", "str", True, ("退补类型",), allowed=ADJUSTMENT_KINDS),
        C("kwh_delta", "float", aliases=("退补电量",)),
        C("amount_delta", "float", aliases=("退补电费",)),
        C("operator_id", "str", aliases=("操作员",)),
        C("approver_id", "str", aliases=("审批人",)),
        C("reason", "str", aliases=("退补原因",)),
    ),
    key=("adjustment_id",),
    references={"customer_id": ("customers", "customer_id")},
    date_column="date",
    optional=True,
)

WORK_ORDERS = Table(
    "work_orders",
    (
        C("order_id", "str", True, ("工单编号",)),
        C("customer_id", "str", True, ("用户编号",)),
        C("kind", "str", True, ("业务类型",), allowed=WORK_ORDER_KINDS),
        C("created_at", "datetime", True, ("受理时间",)),
        C("completed_at", "datetime", aliases=("归档时间",)),
        C("operator_id", "str", aliases=("处理人",)),
        C("approver_id", "str", aliases=("审批人",)),
        C("status", "str", aliases=("工单状态",)),
        C("tariff_before", "str", aliases=("原电价",)),
        C("tariff_after", "str", aliases=("新电价",)),
        C("capacity_before", "float", aliases=("原容量",)),
        C("capacity_after", "float", aliases=("新容量",)),
        C("multiplier_before", "float", aliases=("原倍率",)),
        C("multiplier_after", "float", aliases=("新倍率",)),
        C("amount", "float", aliases=("金额",)),
    ),
    key=("order_id",),
    references={"customer_id": ("customers", "customer_id")},
    date_column="created_at",
    optional=True,
)

INSPECTIONS = Table(
    "inspections",
    (
        C("inspection_id", "str", True, ("稽查编号",)),
        C("target_type", "str", True, ("稽查对象类型",), allowed=TARGET_TYPES),
        C("target_id", "str", True, ("稽查对象编号",)),
        C("date", "date", True, ("稽查日期",)),
        C("result", "str", True, ("稽查结果",), allowed=RESULTS),
        C("recovered_kwh", "float", aliases=("追补电量",)),
        C("recovered_amount", "float", aliases=("追补电费",)),
        C("selection", "str", aliases=("选取方式",), allowed=SELECTIONS, default="unknown"),
        C("inclusion_probability", "float", minimum=0, exclusive_minimum=True, maximum=1),
        C("recorded_date", "date", aliases=("结果登记日期",)),
    ),
    key=("inspection_id",),
    date_column="date",
)

AREA_LINE_LOSS = Table(
    "area_line_loss",
    (
        C("area_id", "str", True, ("台区编号",)),
        C("month", "month", True, ("统计月份",)),
        C("supplied_kwh", "float", True, ("供电量",), minimum=0),
        C("billed_kwh", "float", True, ("售电量",), minimum=0),
    ),
    key=("area_id", "month"),
    date_column="month",
    optional=True,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        CUSTOMERS,
        READINGS,
        BILLS,
        BILLING_ADJUSTMENTS,
        WORK_ORDERS,
        INSPECTIONS,
        AREA_LINE_LOSS,
    )
}

# Columns that hold personal data: never a feature, masked in every output.
PERSONAL_COLUMNS = tuple(c.name for c in CUSTOMERS.columns if c.personal)


def is_finding(result):
    """A finding is any inspection result other than ``clean``."""
    return result != "clean"
