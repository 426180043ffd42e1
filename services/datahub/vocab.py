"""Word lists for the synthetic population: districts, roads, names, hospitals, company names.

Kept apart from the generator so that the generator reads as logic, and so that realism can be
improved by editing data only (bump ``DATASET_VERSION`` when you do: the output changes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class District:
    """A Shanghai district: its GB/T 2260 code, name, the year the code came into use, and some roads."""

    code: str
    name: str
    since: int
    roads: tuple[str, ...]


DISTRICTS: tuple[District, ...] = (
    District("310101", "黄浦区", 0, ("南京东路", "淮海中路", "西藏南路", "复兴中路", "瑞金二路", "河南南路")),
    District("310104", "徐汇区", 0, ("漕溪北路", "天钥桥路", "衡山路", "肇嘉浜路", "宜山路", "龙华中路")),
    District("310105", "长宁区", 0, ("延安西路", "虹桥路", "天山路", "仙霞路", "愚园路", "古北路")),
    District("310106", "静安区", 0, ("南京西路", "延安中路", "共和新路", "北京西路", "江宁路", "大统路")),
    District("310107", "普陀区", 0, ("曹杨路", "中山北路", "长寿路", "真北路", "武宁路", "梅川路")),
    District("310109", "虹口区", 0, ("四川北路", "曲阳路", "大连西路", "海伦路", "广中路", "东江湾路")),
    District("310110", "杨浦区", 0, ("控江路", "四平路", "黄兴路", "国权路", "淞沪路", "长阳路")),
    District("310112", "闵行区", 1981, ("莘松路", "七莘路", "虹井路", "都市路", "万源路", "沪闵路")),
    District("310113", "宝山区", 1988, ("牡丹江路", "友谊路", "共康路", "淞滨路", "泰和路")),
    District("310114", "嘉定区", 1992, ("城中路", "博乐路", "清河路", "塔城路", "沪宜公路")),
    District("310115", "浦东新区", 1992, ("世纪大道", "张杨路", "东方路", "锦绣路", "杨高南路", "崂山路", "浦东南路")),
    District("310116", "金山区", 1997, ("卫零路", "蒙山路", "龙皓路", "金山大道")),
    District("310117", "松江区", 1998, ("人民北路", "中山中路", "谷阳北路", "文诚路")),
    District("310118", "青浦区", 1999, ("城中北路", "公园路", "华浦路", "淀山湖大道")),
    District("310120", "奉贤区", 2001, ("南桥路", "解放东路", "百齐路", "环城东路")),
    District("310151", "崇明区", 2016, ("八一路", "人民路", "东门路", "翠竹路")),
)
DISTRICT_BY_CODE = {district.code: district for district in DISTRICTS}
URBAN_CODES = tuple(district.code for district in DISTRICTS if district.since == 0)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# The most common surnames are listed first; the generator weights them accordingly.
MALE_GIVEN = "伟强磊军勇杰涛明超斌浩宇轩博文俊鹏辉志建国华峰晨阳子然昊天睿泽凯毅航宏德嘉成立新海波"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞婷雪琳晶颖倩洁慧佳欣怡雨萱诗琪思涵梦瑶婉悦妍晓雯菲璐蕾岚玉婧"

MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "172",
    "173",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)

HOSPITALS = (
    ("上海市第一妇婴保健院", "310115"),
    ("复旦大学附属妇产科医院", "310101"),
    ("中国福利会国际和平妇幼保健院", "310104"),
    ("上海交通大学医学院附属仁济医院", "310115"),
    ("上海市长宁区妇幼保健院", "310105"),
    ("上海市第六人民医院", "310104"),
    ("上海市普陀区妇婴保健院", "310107"),
    ("上海市闵行区中心医院", "310112"),
)

COMPANY_WORDS = "恒达锦程华信博远启明鼎盛新航嘉禾云帆立卓越瑞丰汇通天成中联宏图众合安泰星辰诚睿金桥申创沪光浦江"
INDUSTRIES = (
    ("信息科技", "从事信息科技领域内的技术开发、技术咨询、技术服务；软件开发；计算机系统集成。"),
    ("贸易", "货物进出口；技术进出口；日用百货、服装鞋帽、电子产品的销售。"),
    ("餐饮管理", "餐饮服务；餐饮企业管理；食品销售。"),
    ("文化传媒", "文化艺术交流活动策划；广告设计、制作、代理；会务服务。"),
    ("建筑工程", "建设工程施工；建筑装饰装修工程；建筑材料销售。"),
    ("物业管理", "物业管理；停车场服务；家政服务。"),
    ("电子商务", "互联网销售（除销售需要许可的商品）；供应链管理服务。"),
    ("生物科技", "生物科技领域内的技术开发、技术转让；医疗器械（一类）销售。"),
    ("企业管理咨询", "企业管理咨询；商务信息咨询；市场营销策划。"),
    ("物流", "道路货物运输（不含危险货物）；仓储服务（除危险化学品）；国内货物运输代理。"),
)
ENTERPRISE_TYPES = (
    "有限责任公司（自然人投资或控股）",
    "有限责任公司（自然人独资）",
    "股份有限公司（非上市、自然人投资或控股）",
)

LICENCE_TYPES: dict[str, tuple[str, str]] = {
    # type: (Chinese label, licence-number prefix)
    "id_card": ("居民身份证", "SFZ"),
    "household_register": ("居民户口簿", "HKB"),
    "marriage_certificate": ("结婚证", "JHZ"),
    "birth_medical_certificate": ("出生医学证明", "CSYX"),
    "business_licence": ("营业执照", "YYZZ"),
    "property_certificate": ("不动产权证书", "BDCQ"),
}
# Types the library holds only once a department issues one (统一发证 registers them); the
# generator seeds none of them.
ISSUED_LICENCE_TYPES: dict[str, tuple[str, str]] = {
    "social_security_card": ("社会保障卡", "SBK"),
    "residence_permit": ("上海市居住证", "JZZ"),
    "lease_filing_certificate": ("房屋租赁合同登记备案证明", "ZLBA"),
    "dog_registration_certificate": ("养犬登记证", "YQDJ"),
    "rabies_immunity_certificate": ("犬只狂犬病免疫证明", "MYZM"),
    "greening_permit": ("临时占用绿地许可决定书", "LDXK"),
    "road_excavation_permit": ("城市道路挖掘许可证", "WJXK"),
}
REGISTRABLE_LICENCE_TYPES = {**LICENCE_TYPES, **ISSUED_LICENCE_TYPES}


def police_bureau(district: District) -> str:
    """Issuer of ID cards and household registers in a district."""
    return f"上海市公安局{district.name}分局"


def civil_affairs(district: District) -> str:
    """Issuer of marriage certificates in a district."""
    return f"上海市{district.name}民政局"


def market_regulator(district: District) -> str:
    """Issuer of business licences in a district."""
    return f"上海市{district.name}市场监督管理局"


PROPERTY_REGISTRY = "上海市不动产登记局"


def licence_number(licence_type: str, area_code: str, sequence: int) -> str:
    """E-licence identifier: type prefix, issuing area, 8-digit sequence (demo licences use 9000xxxx)."""
    return f"{LICENCE_TYPES[licence_type][1]}{area_code}{sequence:08d}"
