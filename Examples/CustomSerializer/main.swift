print("Custom serializer: 0 == 0")
